"""Elections in the admin, scoped like the pages (RestrictedAdminMixin: restrict() for the rows,
the choices and the filters). Every row here is written by elections.actions or the machines'
frames: a round's rules change only with a recorded reason, an election and an objection move
only through their transitions, a count is the stored outcome of the law's counting. So the
admin shows them all read-only. Rows of one parent show inline under it (a round's rule
overrides; an election's milestones, letters and notices, proxies; a box's votes)."""

from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdminMixin, ReadOnlyInline, RestrictedModelAdmin

from .models import (
    BallotBox,
    BoxVotes,
    Candidate,
    Count,
    Election,
    ElectionRound,
    Mailing,
    Member,
    Milestone,
    Objection,
    Proxy,
    ResidentsGroup,
    RuleOverride,
    Voter,
)


class ElectionsAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    pass


class RuleOverrideInline(ReadOnlyInline):
    model = RuleOverride
    fields = ("key", "previous", "value", "reason", "set_by", "set_at")


@admin.register(ElectionRound)
class ElectionRoundAdmin(ElectionsAdmin):
    list_display = ("name", "street", "year", "election_day")
    list_filter = ("year",)
    search_fields = ("name",)
    list_select_related = ("street",)
    inlines = (RuleOverrideInline,)


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ("step", "planned_on", "done_on")


class MailingInline(ReadOnlyInline):
    model = Mailing
    fields = ("kind", "sent_on", "sent", "receipts", "recorded_by")


class ProxyInline(ReadOnlyInline):
    model = Proxy
    fields = ("principal", "proxy", "authorised_on", "document")


@admin.register(Election)
class ElectionAdmin(ElectionsAdmin):
    list_display = ("area", "round", "method", "seats", "election_day", "status")
    list_filter = ("status", "method")
    search_fields = ("area__name",)
    list_select_related = ("area", "round")
    inlines = (MilestoneInline, MailingInline, ProxyInline)


@admin.register(ResidentsGroup)
class ResidentsGroupAdmin(ElectionsAdmin):
    list_display = ("__str__", "election", "number", "buildings")
    list_select_related = ("election__area", "election__round")


@admin.register(Voter)
class VoterAdmin(ElectionsAdmin):
    list_display = (
        "name",
        "election",
        "group",
        "basis",
        "source",
        "status",
        "is_household_rep",
        "is_group_rep",
    )
    list_filter = ("status", "basis", "source", "is_household_rep", "is_group_rep")
    search_fields = ("name",)
    list_select_related = ("election__area", "election__round", "group")


@admin.register(Objection)
class ObjectionAdmin(ElectionsAdmin):
    list_display = ("subject_name", "election", "kind", "filed_on", "status", "decided_on")
    list_filter = ("status", "kind")
    search_fields = ("subject_name", "filer_name")
    list_select_related = ("election__area", "election__round")


@admin.register(Candidate)
class CandidateAdmin(ElectionsAdmin):
    list_display = ("name", "election", "position", "status", "is_write_in")
    list_filter = ("status", "position", "is_write_in")
    search_fields = ("name",)
    list_select_related = ("election__area", "election__round")


class BoxVotesInline(ReadOnlyInline):
    model = BoxVotes
    fields = ("candidate", "votes")


@admin.register(BallotBox)
class BallotBoxAdmin(ElectionsAdmin):
    list_display = ("name", "election", "round_no", "kind", "issued", "cast", "invalid")
    list_filter = ("kind", "round_no")
    list_select_related = ("election__area", "election__round")
    inlines = (BoxVotesInline,)


@admin.register(Count)
class CountAdmin(ElectionsAdmin):
    list_display = ("election", "round_no", "registered", "ballots_cast", "valid", "outcome")
    list_filter = ("valid", "outcome", "round_no")
    list_select_related = ("election__area", "election__round")


@admin.register(Member)
class MemberAdmin(ElectionsAdmin):
    list_display = ("candidate", "election", "position", "votes", "round_no")
    list_filter = ("position",)
    list_select_related = ("candidate", "election__area", "election__round")
