"""Pages of the register (选民登记): the voters of an election (filters, figures, the register's
buttons), an addition, strikes and representatives, the residents' groups, the objections with
their decisions, proxies, letters and notices, and the published list as a PDF. Thin: parse,
call one action, render; every query through restrict(), a committee outside the reader's
scope is a 404."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core import capabilities, clock
from civicgrid.core.action_forms import ActionForm
from civicgrid.core.action_views import action_forms, problems
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.geo.models import Building
from civicgrid.residents.choices import Sex

from .. import jobs, register, voterlist
from ..actions import voters as actions
from ..actions.frames import OBJECTION_FRAME
from ..choices import Basis, MailingKind, Method, ObjectionKind, VoterStatus
from ..models import Election, Mailing, Objection, Proxy, ResidentsGroup, Voter

VIEW, CONDUCT = "elections.view", "elections.conduct"
VOTERS_PER_PAGE = 100
ROWS_LIMIT = 500


def _election(request: HttpRequest, election_id: int) -> Election:
    capabilities.require(request.user, VIEW)
    qs = Election.objects.restrict(request.user, Action.VIEW).select_related("round", "area", "street")
    return get_object_or_404(qs, pk=election_id)


def _run(request: HttpRequest, call: Callable[[], Any], done: str) -> bool:
    """Run one action; its refusal (or success) as the page's message."""
    try:
        call()
    except ActionError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


def _base(request: HttpRequest, election: Election, tab: str) -> dict[str, Any]:
    return {
        "election": election,
        "tab": tab,
        "may_conduct": capabilities.may(request.user, CONDUCT),
        "counts": register.counts(election),
    }


# ---------------------------------------------------------------------------- the register


class VoterFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("姓名"), required=False, max_length=50)
    group = forms.ChoiceField(label=gettext_lazy("居民小组"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *VoterStatus.choices]
    )
    rep = forms.ChoiceField(
        label=gettext_lazy("代表"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("household", gettext_lazy("户代表")),
            ("group", gettext_lazy("居民代表")),
            ("any", gettext_lazy("户代表或居民代表")),
        ],
    )
    basis = forms.ChoiceField(
        label=gettext_lazy("登记依据"), required=False, choices=[("", gettext_lazy("全部")), *Basis.choices]
    )

    def __init__(self, *args: Any, groups: list[ResidentsGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", _("全部")),
            *((str(g.pk), str(g)) for g in groups),
            ("none", _("未划分居民小组")),
        ]


@login_required
def voter_list(request: HttpRequest, election_id: int) -> HttpResponse:
    """选民名单: the figures by basis and the electorate the method counts, then the voters."""
    election = _election(request, election_id)
    groups = list(ResidentsGroup.objects.restrict(request.user, Action.VIEW).filter(election=election))
    form = VoterFilter(request.GET or None, groups=groups)
    voters = Voter.objects.restrict(request.user, Action.VIEW).filter(election=election)
    if form.is_valid():
        voters = register.filter_voters(voters, **form.cleaned_data)
    listing = voters.select_related("group").order_by("status", "group__number", "id")
    page = Paginator(listing, VOTERS_PER_PAGE).get_page(request.GET.get("page"))
    context = _base(request, election, "voters") | {
        "form": form,
        "page": page,
        "voters": [
            {
                "v": v,
                "sex": voterlist.SEX_LABELS.get(v.sex, ""),
                "age": register.age_on(v.birth_date, election.election_day) if v.birth_date else None,
            }
            for v in page.object_list
        ],
        "household_method": election.method == Method.HOUSEHOLD,
    }
    return render(request, "elections/voter_list.html", context)


@login_required
@require_POST
def voter_build(request: HttpRequest, election_id: int) -> HttpResponse:
    election = _election(request, election_id)
    try:
        result = actions.build_register(request.user, election)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已从实有人口生成选民名单：新增 %(added)d 名，保留 %(kept)d 名，除名 %(struck)d 名") % result,
        )
    return redirect("elections:voters", election.pk)


class VoterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, required=False)
    person = forms.IntegerField(
        label=gettext_lazy("实有人口编号"),
        required=False,
        help_text=gettext_lazy("从实有人口登记补登时填写，姓名等自动带出"),
    )
    sex = forms.ChoiceField(label=gettext_lazy("性别"), required=False, choices=[("", "—"), *Sex.choices])
    birth_date = forms.DateField(
        label=gettext_lazy("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    basis = forms.ChoiceField(label=gettext_lazy("登记依据"), choices=Basis.choices, initial=Basis.RESIDENT)
    group = forms.ChoiceField(label=gettext_lazy("居民小组"), required=False)

    def __init__(self, *args: Any, groups: list[ResidentsGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *((str(g.pk), str(g)) for g in groups)]


@login_required
@require_http_methods(["GET", "POST"])
def voter_add(request: HttpRequest, election_id: int) -> HttpResponse:
    """补充登记."""
    election = _election(request, election_id)
    capabilities.require(request.user, CONDUCT)
    groups = list(ResidentsGroup.objects.restrict(request.user, Action.VIEW).filter(election=election))
    form = VoterForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            voter = actions.add_voter(
                request.user,
                election,
                name=data["name"],
                sex=data["sex"],
                birth_date=data["birth_date"],
                basis=data["basis"],
                person=data["person"],
                group=data["group"] or None,
            )
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已补充登记选民 %s") % voter.name)
            return redirect("elections:voters", election.pk)
    return render(request, "elections/voter_add.html", _base(request, election, "voters") | {"form": form})


def _voter(request: HttpRequest, voter_id: int) -> Voter:
    capabilities.require(request.user, VIEW)
    return get_object_or_404(Voter.objects.restrict(request.user, Action.VIEW), pk=voter_id)


@login_required
@require_POST
def voter_strike(request: HttpRequest, voter_id: int) -> HttpResponse:
    voter = _voter(request, voter_id)
    reason = request.POST.get("reason", "")
    _run(
        request,
        lambda: actions.strike_voter(request.user, voter, reason=reason),
        _("已将 %s 除名") % voter.name,
    )
    return redirect("elections:voters", voter.election_id)


def _flag(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


@login_required
@require_POST
def voter_representative(request: HttpRequest, voter_id: int) -> HttpResponse:
    voter = _voter(request, voter_id)
    household, group = _flag(request.POST.get("household")), _flag(request.POST.get("group"))
    _run(
        request,
        lambda: actions.set_representative(request.user, voter, household=household, group=group),
        _("已更新 %s 的代表身份") % voter.name,
    )
    return redirect(request.POST.get("next") or reverse("elections:voters", args=[voter.election_id]))


@login_required
@require_POST
def voter_list_print(request: HttpRequest, election_id: int) -> HttpResponse:
    """选民名单公告 (PDF: names, sex and ages only), drawn by a worker: the job's page follows it."""
    election = _election(request, election_id)
    return redirect(jobs.start_voter_list(request.user, election).get_absolute_url())


# ---------------------------------------------------------------------------- groups


class GroupForm(forms.Form):
    number = forms.IntegerField(label=gettext_lazy("组号"), min_value=1, max_value=999)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=60, required=False)
    buildings = forms.MultipleChoiceField(
        label=gettext_lazy("范围（楼栋）"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, buildings: list[Building], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["buildings"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(b.pk), b.address) for b in buildings]


@login_required
@require_http_methods(["GET", "POST"])
def group_list(request: HttpRequest, election_id: int) -> HttpResponse:
    """居民小组: each with its buildings, voters and representatives; a form for a new one."""
    election = _election(request, election_id)
    buildings = list(
        Building.objects.restrict(request.user, Action.VIEW)
        .filter(residential_area_id=election.area_id)
        .order_by("address")
    )
    form = GroupForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = actions.create_group(
                request.user, election, number=data["number"], name=data["name"], buildings=data["buildings"]
            )
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已划分 %s") % group)
            return redirect("elections:groups", election.pk)
    listed = Q(voters__status=VoterStatus.LISTED)
    groups = (
        ResidentsGroup.objects.restrict(request.user, Action.VIEW)
        .filter(election=election)
        .annotate(
            listed=Count("voters", filter=listed),
            reps=Count("voters", filter=listed & Q(voters__is_group_rep=True)),
        )
    )
    addresses = {b.pk: b.address for b in buildings}
    rows = [
        {"g": g, "buildings": [addresses.get(b, str(b)) for b in register.building_ids(g.buildings)]}
        for g in groups
    ]
    rules = election.round.rules()
    context = _base(request, election, "groups") | {
        "form": form,
        "groups": rows,
        "reps_min": rules.group_representatives_min,
        "reps_max": rules.group_representatives_max,
    }
    return render(request, "elections/group_list.html", context)


# ---------------------------------------------------------------------------- objections


class ObjectionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("申诉类型"), choices=ObjectionKind.choices)
    filer_name = forms.CharField(label=gettext_lazy("申诉人"), max_length=50)
    subject_name = forms.CharField(label=gettext_lazy("所涉人员"), max_length=50)
    subject_voter = forms.IntegerField(
        label=gettext_lazy("所涉选民编号"), required=False, help_text=gettext_lazy("不应列入或信息有误时填写")
    )
    subject_person = forms.IntegerField(
        label=gettext_lazy("实有人口编号"), required=False, help_text=gettext_lazy("应列入而未列入时可填写")
    )
    statement = forms.CharField(
        label=gettext_lazy("申诉理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_required
@require_http_methods(["GET", "POST"])
def objection_list(request: HttpRequest, election_id: int) -> HttpResponse:
    """选民名单申诉: filed within the window after publication, each decided or due."""
    election = _election(request, election_id)
    form = ObjectionForm(request.POST or None)
    if request.method == "POST":
        capabilities.require(request.user, CONDUCT)
        if form.is_valid():
            try:
                objection = actions.file_objection(request.user, election, **form.cleaned_data)
            except ActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已受理申诉"))
                return redirect("elections:objection", objection.pk)
    rules = election.round.rules()
    today = clock.today()
    objections = Objection.objects.restrict(request.user, Action.VIEW).filter(election=election)[:ROWS_LIMIT]
    rows = [
        {"o": o, "due": register.decision_due(o.filed_on, rules), "late": register.is_late(o, rules, today)}
        for o in objections
    ]
    context = _base(request, election, "objections") | {"form": form, "objections": rows}
    return render(request, "elections/objection_list.html", context)


def _objection(request: HttpRequest, objection_id: int) -> Objection:
    capabilities.require(request.user, VIEW)
    qs = Objection.objects.restrict(request.user, Action.VIEW).select_related(
        "election__round", "election__area", "subject_voter", "decided_by"
    )
    return get_object_or_404(qs, pk=objection_id)


@login_required
def objection_detail(request: HttpRequest, objection_id: int) -> HttpResponse:
    objection = _objection(request, objection_id)
    rules = objection.election.round.rules()
    context = {
        "objection": objection,
        "election": objection.election,
        "due": register.decision_due(objection.filed_on, rules),
        "late": register.is_late(objection, rules, clock.today()),
        "action_forms": action_forms(OBJECTION_FRAME, objection, request.user),
    }
    return render(request, "elections/objection_detail.html", context)


@login_required
@require_POST
def objection_action(request: HttpRequest, objection_id: int, action: str) -> HttpResponse:
    """申诉成立 / 不成立 with the decision, back to the objection."""
    objection = _objection(request, objection_id)
    machine = OBJECTION_FRAME.machine
    if action not in machine.actions.values:
        raise Http404(_("没有这个操作"))
    form = ActionForm(request.POST, obj=objection, user=request.user, transition=machine[action])
    if not form.is_valid():
        messages.error(request, problems(form))
    else:
        _run(
            request,
            lambda: OBJECTION_FRAME.run(objection.pk, action, request.user, form.params()),
            _("已%s") % machine.label(action),
        )
    return redirect("elections:objection", objection.pk)


# ---------------------------------------------------------------------------- proxies, mailings


class ProxyForm(forms.Form):
    principal = forms.IntegerField(label=gettext_lazy("委托人（选民编号）"))
    proxy = forms.IntegerField(label=gettext_lazy("受委托人（选民编号）"))
    document = forms.CharField(label=gettext_lazy("委托书编号"), max_length=40)
    authorised_on = forms.DateField(
        label=gettext_lazy("委托日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
@require_http_methods(["GET", "POST"])
def proxy_list(request: HttpRequest, election_id: int) -> HttpResponse:
    """委托投票: the written authorisations, and how many each proxy holds of the limit."""
    election = _election(request, election_id)
    form = ProxyForm(request.POST or None)
    if request.method == "POST":
        capabilities.require(request.user, CONDUCT)
        if form.is_valid() and _run(
            request,
            lambda: actions.record_proxy(request.user, election, **form.cleaned_data),
            _("已登记委托投票"),
        ):
            return redirect("elections:proxies", election.pk)
    proxies = (
        Proxy.objects.restrict(request.user, Action.VIEW)
        .filter(election=election)
        .select_related("principal", "proxy")
        .order_by("proxy_id", "id")[:ROWS_LIMIT]
    )
    context = _base(request, election, "proxies") | {
        "form": form,
        "proxies": proxies,
        "limit": election.round.rules().proxy_limit,
        "allowed": election.method != Method.REPRESENTATIVE,
    }
    return render(request, "elections/voter_proxies.html", context)


class MailingForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=MailingKind.choices)
    sent = forms.IntegerField(label=gettext_lazy("发放份数"), min_value=1)
    receipts = forms.IntegerField(label=gettext_lazy("收回回执"), min_value=0, required=False)
    sent_on = forms.DateField(
        label=gettext_lazy("发放日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
@require_http_methods(["GET", "POST"])
def mailing_list(request: HttpRequest, election_id: int) -> HttpResponse:
    """告居民书与选举通知书: batches and the totals with receipts."""
    election = _election(request, election_id)
    form = MailingForm(request.POST or None)
    if request.method == "POST":
        capabilities.require(request.user, CONDUCT)
        if form.is_valid():
            data: dict[str, Any] = form.cleaned_data
            sent_on: date | None = data["sent_on"]
            if _run(
                request,
                lambda: actions.record_mailing(
                    request.user,
                    election,
                    kind=data["kind"],
                    sent=data["sent"],
                    receipts=data["receipts"] or 0,
                    sent_on=sent_on,
                ),
                _("已登记发放"),
            ):
                return redirect("elections:mailings", election.pk)
    mailings = Mailing.objects.restrict(request.user, Action.VIEW).filter(election=election)
    context = _base(request, election, "mailings") | {
        "form": form,
        "mailings": mailings.select_related("recorded_by")[:ROWS_LIMIT],
        "totals": register.mailing_totals(mailings),
    }
    return render(request, "elections/voter_mailings.html", context)


urlpatterns: list[URLPattern] = [
    path("<int:election_id>/voters/", voter_list, name="voters"),
    path("<int:election_id>/voters/build/", voter_build, name="voters_build"),
    path("<int:election_id>/voters/add/", voter_add, name="voter_add"),
    path("<int:election_id>/voter-list/print/", voter_list_print, name="voter_list_print"),
    path("voters/<int:voter_id>/strike/", voter_strike, name="voter_strike"),
    path("voters/<int:voter_id>/representative/", voter_representative, name="voter_representative"),
    path("<int:election_id>/groups/", group_list, name="groups"),
    path("<int:election_id>/objections/", objection_list, name="objections"),
    path("objections/<int:objection_id>/", objection_detail, name="objection"),
    path("objections/<int:objection_id>/act/<str:action>/", objection_action, name="objection_action"),
    path("<int:election_id>/proxies/", proxy_list, name="proxies"),
    path("<int:election_id>/mailings/", mailing_list, name="mailings"),
]
