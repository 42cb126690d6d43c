"""Programmes in the admin, scoped like the pages (RestrictedAdminMixin: restrict() for the
rows, the choices and the filters). Every row is written by programmes.actions or the
machines' frames, so the admin shows them read-only; rows of one parent show inline under it.

Left out on purpose: an evaluation's voters (their codes' digests stay out of the admin; who
has voted is shown only as a count on the evaluation's page), the claim numbering sequence,
and a member unit's encrypted contact phone (revealed only through programmes.reveal_contact).
An evaluation's counters show inline on it: they are anonymous totals."""

from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdminMixin, ReadOnlyInline, RestrictedModelAdmin

from .models import (
    Ask,
    CaseLink,
    Claim,
    Evaluation,
    EvaluationCount,
    EvaluationSubject,
    MemberUnit,
    ProgressReport,
    Project,
    ProjectMilestone,
    Proposal,
    Representative,
    Session,
    Target,
    WelfareProject,
)


class ProgrammesAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    pass


class TargetInline(ReadOnlyInline):
    model = Target
    fields = ("name", "unit", "goal", "reached", "order")


class MilestoneInline(ReadOnlyInline):
    model = ProjectMilestone
    fields = ("title", "due_on", "done_on", "status", "supervisions")


class ProgressReportInline(ReadOnlyInline):
    model = ProgressReport
    fields = ("reported_on", "target", "value", "note", "reported_by")


class CaseLinkInline(ReadOnlyInline):
    model = CaseLink
    fields = ("case", "linked_by", "linked_at")


@admin.register(Project)
class ProjectAdmin(ProgrammesAdmin):
    list_display = ("title", "street", "year", "category", "owner_unit", "status", "progress")
    list_filter = ("year", "status", "category")
    search_fields = ("title",)
    list_select_related = ("street", "owner_unit")
    inlines = (TargetInline, MilestoneInline, ProgressReportInline, CaseLinkInline)


@admin.register(MemberUnit)
class MemberUnitAdmin(ProgrammesAdmin):
    list_display = ("name", "kind", "street", "contact_name", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    list_select_related = ("street",)
    exclude = ("contact_phone", "contact_phone_hash")


class AskInline(ReadOnlyInline):
    model = Ask
    fields = ("kind", "item", "unit", "quantity", "claimed", "delivered")


@admin.register(WelfareProject)
class WelfareProjectAdmin(ProgrammesAdmin):
    list_display = ("title", "street", "year", "deadline", "status")
    list_filter = ("year", "status")
    search_fields = ("title",)
    list_select_related = ("street",)
    inlines = (AskInline,)


@admin.register(Claim)
class ClaimAdmin(ProgrammesAdmin):
    list_display = ("number", "project", "member", "quantity", "status", "claimed_on")
    list_filter = ("status",)
    search_fields = ("number",)
    list_select_related = ("project", "member")


@admin.register(Session)
class SessionAdmin(ProgrammesAdmin):
    list_display = ("title", "street", "kind", "held_on")
    list_filter = ("kind",)
    search_fields = ("title",)
    list_select_related = ("street",)


@admin.register(Representative)
class RepresentativeAdmin(ProgrammesAdmin):
    list_display = ("name", "street", "area", "affiliation", "term_from", "term_to", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    list_select_related = ("street", "area")


@admin.register(Proposal)
class ProposalAdmin(ProgrammesAdmin):
    list_display = ("number", "title", "session", "proposer", "status", "assigned_unit", "deadline")
    list_filter = ("status", "category")
    search_fields = ("title",)
    list_select_related = ("session", "proposer", "assigned_unit")


class SubjectInline(ReadOnlyInline):
    model = EvaluationSubject
    fields = ("order", "name", "unit")


class CountInline(ReadOnlyInline):
    model = EvaluationCount
    fields = ("subject", "mark", "source", "count")


@admin.register(Evaluation)
class EvaluationAdmin(ProgrammesAdmin):
    list_display = ("title", "session", "street", "status", "ballots")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("session", "street")
    inlines = (SubjectInline, CountInline)
