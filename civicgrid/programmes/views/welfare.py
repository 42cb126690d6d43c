"""The welfare pages (公益项目认领): the board of the year's needs (each ask's claimed / delivered
/ remaining bar), the claims awaiting confirmation and delivery, and a new project; a project
with its asks, claims, the claim form and its machine's actions; a claim with its actions,
evidence, history and its confirmation letter (PDF); the member units (list, register, one unit
with its masked phone and reveal, its claims) and a unit's annual statement (page and PDF).
Thin: parse, call one action, render; every query through restrict()."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.core import action_views, clock
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.models import Attachment
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..actions import welfare as actions
from ..actions.frames import CLAIM_FRAME, WELFARE_FRAME
from ..choices import AskKind, ClaimPhoto, ClaimStatus, MemberKind, WelfareStatus
from ..filters import MemberFilterSet, WelfareFilterSet
from ..models import Ask, Claim, MemberUnit, WelfareProject
from ..welfare_data import bar, confirmation, statement, statement_pdf
from ..workflow import CLAIM_MACHINE, WELFARE_MACHINE
from .overview import _year

VIEW, WELFARE = "programmes.view", actions.WELFARE
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EVENT_LABELS = {
    actions.CREATE: gettext_lazy("登记公益项目"),
    actions.UPDATE: gettext_lazy("修改项目信息"),
    actions.ADD_ASK: gettext_lazy("增加认领需求"),
    actions.UPDATE_ASK: gettext_lazy("调整认领需求"),
    actions.REMOVE_ASK: gettext_lazy("删除认领需求"),
    actions.CLAIM: gettext_lazy("登记认领"),
    actions.REGISTER_MEMBER: gettext_lazy("登记成员单位"),
    actions.UPDATE_MEMBER: gettext_lazy("修改成员单位信息"),
    actions.DEACTIVATE_MEMBER: gettext_lazy("停用成员单位"),
}
MEMBERS_PAGE = 50


# ---------------------------------------------------------------------------- forms


def _streets(user: Any) -> Any:
    return Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")


class ProjectForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("项目名称"), max_length=120)
    need = forms.CharField(label=gettext_lazy("需求说明"), widget=forms.Textarea(attrs={"rows": 3}))
    place = forms.CharField(label=gettext_lazy("实施地点"), max_length=120, required=False)
    # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
    area = forms.ModelChoiceField(label=gettext_lazy("居民区"), queryset=Area.objects.none(), required=False)
    beneficiaries = forms.CharField(label=gettext_lazy("受益对象"), max_length=120, required=False)
    beneficiary_count = forms.IntegerField(
        label=gettext_lazy("受益人数"), min_value=1, max_value=10**7, required=False
    )
    deadline = forms.DateField(label=gettext_lazy("认领截止日期"), widget=DATE, required=False)

    def __init__(self, *args: Any, user: Any, street_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.RESIDENTIAL)
        if street_id is not None:
            areas = areas.filter(street_id=street_id)
        self.fields["area"].queryset = areas.order_by("code")  # type: ignore[attr-defined]


class NewProjectForm(ProjectForm):
    # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
    street = forms.ModelChoiceField(label=gettext_lazy("街道"), queryset=Area.objects.none())
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=gettext_lazy("需求类型"), choices=AskKind.choices)
    item = forms.CharField(label=gettext_lazy("需求内容"), max_length=60, help_text=gettext_lazy("如“冬衣”"))
    unit = forms.CharField(
        label=gettext_lazy("计量单位"), max_length=12, help_text=gettext_lazy("如“件”“元”“人次”")
    )
    quantity = forms.DecimalField(
        label=gettext_lazy("需求数量"), max_digits=12, decimal_places=2, min_value=0
    )

    field_order = ["street", "year", "title", "need", "place", "area", "beneficiaries", "beneficiary_count"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("year", clock.today().year)
        super().__init__(*args, user=user, **kwargs)
        streets = _streets(user)
        self.fields["street"].queryset = streets  # type: ignore[attr-defined]
        if len(streets) == 1:
            self.fields["street"].initial = streets[0].pk


class AskForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("需求类型"), choices=AskKind.choices)
    item = forms.CharField(label=gettext_lazy("需求内容"), max_length=60)
    unit = forms.CharField(label=gettext_lazy("计量单位"), max_length=12)
    quantity = forms.DecimalField(
        label=gettext_lazy("需求数量"), max_digits=12, decimal_places=2, min_value=0
    )


class QuantityForm(forms.Form):
    quantity = forms.DecimalField(
        label=gettext_lazy("需求数量"), max_digits=12, decimal_places=2, min_value=0
    )


class ClaimForm(forms.Form):
    # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
    member = forms.ModelChoiceField(label=gettext_lazy("成员单位"), queryset=MemberUnit.objects.none())
    # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
    ask = forms.ModelChoiceField(label=gettext_lazy("认领需求"), queryset=Ask.objects.none())
    quantity = forms.DecimalField(
        label=gettext_lazy("认领数量"), max_digits=12, decimal_places=2, min_value=0
    )
    note = forms.CharField(
        label=gettext_lazy("说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def __init__(self, *args: Any, user: Any, project: WelfareProject, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = MemberUnit.objects.restrict(user, Action.VIEW).filter(
            active=True, streets=project.street_id
        )
        self.fields["member"].queryset = members.order_by("name")  # type: ignore[attr-defined]
        asks = Ask.objects.restrict(user, Action.VIEW).filter(project=project).order_by("order", "pk")
        self.fields["ask"].queryset = asks  # type: ignore[attr-defined]
        ask_field: Any = self.fields["ask"]
        ask_field.label_from_instance = remaining_label


def remaining_label(ask: Ask) -> str:
    return _("%(item)s（还可认领 %(n)s %(unit)s）") % {
        "item": ask.item,
        "n": actions.show(ask.remaining),
        "unit": ask.unit,
    }


class MemberForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("单位名称"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=MemberKind.choices)
    # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
    streets = forms.ModelMultipleChoiceField(label=gettext_lazy("结对街道"), queryset=Area.objects.none())
    address = forms.CharField(label=gettext_lazy("地址"), max_length=120, required=False)
    contact_name = forms.CharField(label=gettext_lazy("联系人"), max_length=40, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False)
    note = forms.CharField(
        label=gettext_lazy("备注"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        streets = _streets(user)
        self.fields["streets"].queryset = streets  # type: ignore[attr-defined]
        if len(streets) == 1:
            self.fields["streets"].initial = [streets[0].pk]


# ---------------------------------------------------------------------------- look-ups


def _welfare(request: HttpRequest, pk: int) -> WelfareProject:
    require(request.user, VIEW)
    qs = WelfareProject.objects.restrict(request.user, Action.VIEW).select_related("street", "area")
    return get_object_or_404(qs, pk=pk)


def _claim(request: HttpRequest, pk: int) -> Claim:
    require(request.user, VIEW)
    qs = Claim.objects.restrict(request.user, Action.VIEW).select_related(
        "ask", "project", "member", "street"
    )
    return get_object_or_404(qs, pk=pk)


def _member(request: HttpRequest, pk: int) -> MemberUnit:
    require(request.user, VIEW)
    return get_object_or_404(MemberUnit.objects.restrict(request.user, Action.VIEW), pk=pk)


def _ask(request: HttpRequest, ask_id: int) -> Ask:
    require(request.user, VIEW)
    return get_object_or_404(
        Ask.objects.restrict(request.user, Action.VIEW).select_related("project"), pk=ask_id
    )


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'  # ASCII names
    return response


# ---------------------------------------------------------------------------- the board


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The year's welfare projects with each ask's bar, the claims awaiting confirmation, those
    awaiting delivery or closing; the new project form for those who publish them."""
    require(request.user, VIEW)
    year = _year(request)
    may_create = WelfareProject.objects.allows(request.user, Action.ADD)
    form = NewProjectForm(request.POST or None, user=request.user) if may_create else None
    if request.method == "POST":
        if form is None:
            raise Http404
        made = action_views.submit(
            request,
            form,
            lambda d: actions.create_welfare(
                request.user,
                street=d["street"],
                year=d["year"],
                title=d["title"],
                need=d["need"],
                place=d["place"],
                area=d["area"],
                beneficiaries=d["beneficiaries"],
                beneficiary_count=d["beneficiary_count"],
                deadline=d["deadline"],
                asks=[{"kind": d["kind"], "item": d["item"], "unit": d["unit"], "quantity": d["quantity"]}],
            ),
            _("未能登记公益项目"),
        )
        if made is not None:
            messages.success(request, _("已登记公益项目“%(title)s”（草拟）") % {"title": made.title})
            return redirect(made.get_absolute_url())
    asks = Ask.objects.restrict(request.user, Action.VIEW).order_by("order", "pk")
    chosen = WelfareFilterSet(
        {**request.GET.dict(), "year": year},
        WelfareProject.objects.restrict(request.user, Action.VIEW),
        user=request.user,
    )
    projects = (
        chosen.qs.select_related("street")
        .prefetch_related(Prefetch("asks", queryset=asks))
        .order_by("status", "deadline", "-pk")
    )
    claims = (
        Claim.objects.restrict(request.user, Action.VIEW)
        .filter(project__year=year)
        .select_related("member", "ask", "project")
        .order_by("claimed_on", "pk")
    )
    rows = [{"project": p, "bars": [bar(a) for a in p.asks.all()]} for p in projects]
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "status": chosen.form.cleaned_data.get("status") or "",
        "statuses": WelfareStatus.choices,
        "rows": rows,
        "pending": list(claims.filter(status=ClaimStatus.CLAIMED)),
        "delivering": list(claims.filter(status__in=[ClaimStatus.CONFIRMED, ClaimStatus.DELIVERED])),
        "form": form,
    }
    return render(request, "programmes/welfare/board.html", context)


# ---------------------------------------------------------------------------- a project


@login_required
def welfare_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _welfare(request, pk)
    user = request.user
    writer = may(user, WELFARE)
    asks = list(Ask.objects.restrict(user, Action.VIEW).filter(project=project).order_by("order", "pk"))
    claims = (
        Claim.objects.restrict(user, Action.VIEW)
        .filter(project=project)
        .select_related("member", "ask")
        .order_by("pk")
    )
    draft = project.status == WelfareStatus.DRAFT
    changeable = writer and project.status in actions.CHANGEABLE
    context = {
        "project": project,
        "bars": [bar(a) for a in asks],
        "claims": claims,
        "action_forms": action_views.action_forms(WELFARE_FRAME, project, user),
        "claim_form": ClaimForm(user=user, project=project, prefix="claim")
        if writer and project.status == WelfareStatus.OPEN
        else None,
        "edit_form": ProjectForm(
            user=user,
            street_id=project.street_id,
            prefix="edit",
            initial={name: getattr(project, name) for name in ProjectForm.base_fields},
        )
        if changeable
        else None,
        "ask_form": AskForm(prefix="ask") if writer and draft else None,
        "quantity_forms": changeable,
        "draft": draft,
        "events": action_views.timeline(project, WELFARE_MACHINE, EVENT_LABELS),
    }
    return render(request, "programmes/welfare/project.html", context)


@login_required
@require_POST
def welfare_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, WELFARE_FRAME, _welfare(request, pk), action)


@login_required
@require_POST
def welfare_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _welfare(request, pk)
    form = ProjectForm(request.POST, user=request.user, street_id=project.street_id, prefix="edit")
    if action_views.submit(
        request,
        form,
        lambda d: actions.update_welfare(request.user, project, version=request.POST.get("version"), **d),
        _("未能修改项目信息"),
    ):
        messages.success(request, _("已修改项目信息"))
    return redirect(project.get_absolute_url())


@login_required
@require_POST
def welfare_claim(request: HttpRequest, pk: int) -> HttpResponse:
    project = _welfare(request, pk)
    form = ClaimForm(request.POST, user=request.user, project=project, prefix="claim")
    made = action_views.submit(
        request,
        form,
        lambda d: actions.claim(
            request.user, ask=d["ask"], member=d["member"], quantity=d["quantity"], note=d["note"]
        ),
        _("未能登记认领"),
    )
    if made is not None:
        messages.success(
            request,
            _("已登记 %(member)s 认领 %(quantity)s%(unit)s %(item)s，待街道确认")
            % {
                "member": made.member.name,
                "quantity": actions.show(made.quantity),
                "unit": made.ask.unit,
                "item": made.ask.item,
            },
        )
    return redirect(project.get_absolute_url())


@login_required
@require_POST
def welfare_ask_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = _welfare(request, pk)
    form = AskForm(request.POST, prefix="ask")
    if action_views.submit(
        request, form, lambda d: actions.add_ask(request.user, project, **d), _("未能增加认领需求")
    ):
        messages.success(request, _("已增加认领需求"))
    return redirect(project.get_absolute_url())


@login_required
@require_POST
def ask_update(request: HttpRequest, ask_id: int) -> HttpResponse:
    ask = _ask(request, ask_id)
    form = QuantityForm(request.POST)
    if action_views.submit(
        request, form, lambda d: actions.update_ask(request.user, ask, **d), _("未能调整需求数量")
    ):
        messages.success(request, _("已调整需求数量"))
    return redirect(ask.project.get_absolute_url())


@login_required
@require_POST
def ask_remove(request: HttpRequest, ask_id: int) -> HttpResponse:
    ask = _ask(request, ask_id)
    try:
        actions.remove_ask(request.user, ask)
    except ActionError as exc:
        messages.error(request, _("未能删除认领需求：%(why)s") % {"why": exc.message})
    else:
        messages.success(request, _("已删除认领需求“%(item)s”") % {"item": ask.item})
    return redirect(ask.project.get_absolute_url())


# ---------------------------------------------------------------------------- a claim


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    held = _claim(request, pk)
    photos = (
        Attachment.objects.restrict(request.user, Action.VIEW)
        .filter(
            content_type=ContentType.objects.get_for_model(Claim),
            object_id=held.pk,
            stage=ClaimPhoto.EVIDENCE,
        )
        .order_by("pk")
    )
    context = {
        "claim": held,
        "photos": photos,
        "action_forms": action_views.action_forms(CLAIM_FRAME, held, request.user),
        "events": action_views.timeline(held, CLAIM_MACHINE, EVENT_LABELS),
        "printable": bool(held.number),
    }
    return render(request, "programmes/welfare/claim.html", context)


@login_required
@require_POST
def claim_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, CLAIM_FRAME, _claim(request, pk), action)


@login_required
def claim_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """认领确认书: once the street confirmed the claim (it has its number)."""
    held = _claim(request, pk)
    if not held.number:
        raise Http404(_("认领尚未确认，没有确认书"))
    return _pdf(confirmation(held), f"claim-{held.number}")


# ---------------------------------------------------------------------------- member units


@login_required
def members(request: HttpRequest) -> HttpResponse:
    """The member units serving the reader's streets (search by name, filter by kind), with
    their claim counts; the register form for those who keep it."""
    require(request.user, VIEW)
    may_register = MemberUnit.objects.allows(request.user, Action.ADD)
    form = MemberForm(request.POST or None, user=request.user) if may_register else None
    if request.method == "POST":
        if form is None:
            raise Http404
        made = action_views.submit(
            request, form, lambda d: actions.register_member(request.user, **d), _("未能登记成员单位")
        )
        if made is not None:
            messages.success(request, _("已登记成员单位“%(name)s”") % {"name": made.name})
            return redirect(made.get_absolute_url())
    chosen = MemberFilterSet(
        request.GET, MemberUnit.objects.restrict(request.user, Action.VIEW), user=request.user
    )
    q, kind = (
        (chosen.form.cleaned_data.get(k) or "" for k in ("q", "kind")) if chosen.is_valid() else ("", "")
    )
    claims = Claim.objects.restrict(request.user, Action.VIEW)
    rows = chosen.qs.annotate(claim_count=Count("claims", filter=Q(claims__in=claims))).order_by(
        "-active", "name", "pk"
    )
    context = {
        "members": rows[:MEMBERS_PAGE],
        "total": rows.count(),
        "limit": MEMBERS_PAGE,
        "q": q,
        "kind": kind,
        "kinds": MemberKind.choices,
        "form": form,
    }
    return render(request, "programmes/welfare/members.html", context)


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    user = request.user
    writer = may(user, WELFARE)
    claims = (
        Claim.objects.restrict(user, Action.VIEW)
        .filter(member=member)
        .select_related("ask", "project")
        .order_by("-claimed_on", "-pk")
    )
    years = sorted(set(claims.values_list("project__year", flat=True)), reverse=True) or [clock.today().year]
    context = {
        "member": member,
        # The streets it serves, by name (those outside the reader's scope too).
        "streets": member.streets.order_by("code"),
        "claims": claims,
        "years": years,
        "edit_form": MemberForm(
            user=user,
            prefix="edit",
            initial={
                **{n: getattr(member, n) for n in ("name", "kind", "address", "contact_name", "note")},
                "streets": list(member.streets.values_list("pk", flat=True)),
            },
        )
        if writer and member.active
        else None,
        "events": action_views.timeline(member, labels=EVENT_LABELS),
    }
    return render(request, "programmes/welfare/member.html", context)


@login_required
@require_POST
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    form = MemberForm(request.POST, user=request.user, prefix="edit")
    if action_views.submit(
        request,
        form,
        lambda d: actions.update_member(
            request.user,
            member,
            version=request.POST.get("version"),
            # An empty phone field keeps the stored one (the page never holds it in full).
            **{k: v for k, v in d.items() if k != "contact_phone" or v},
        ),
        _("未能修改成员单位"),
    ):
        messages.success(request, _("已修改成员单位信息"))
    return redirect(member.get_absolute_url())


@login_required
@require_POST
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    try:
        actions.deactivate_member(
            request.user,
            member,
            version=request.POST.get("version"),
            note=request.POST.get("note", "")[:2000],
        )
    except ActionError as exc:
        messages.error(request, _("未能停用：%(why)s") % {"why": exc.message})
    else:
        messages.success(request, _("已停用成员单位“%(name)s”") % {"name": member.name})
    return redirect(member.get_absolute_url())


def _statement(request: HttpRequest, pk: int, year: int) -> Any:
    member = _member(request, pk)
    if not 2000 <= year <= 2100:
        raise Http404
    return statement(member, year, Claim.objects.restrict(request.user, Action.VIEW))


@login_required
def member_statement(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """年度公益认领清单 as a page (or, with ?format=pdf, the PDF)."""
    sheet = _statement(request, pk, year)
    if request.GET.get("format") == "pdf":
        return _pdf(statement_pdf(sheet), f"statement-{sheet.member.pk}-{year}")
    return render(request, "programmes/welfare/statement.html", {"sheet": sheet, "member": sheet.member})


@login_required
def member_statement_pdf(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    sheet = _statement(request, pk, year)
    return _pdf(statement_pdf(sheet), f"statement-{sheet.member.pk}-{year}")


urlpatterns = [
    path("welfare/", board, name="welfare_board"),
    path("welfare/<int:pk>/", welfare_detail, name="welfare"),
    path("welfare/<int:pk>/act/<str:action>/", welfare_act, name="welfare_act"),
    path("welfare/<int:pk>/edit/", welfare_edit, name="welfare_edit"),
    path("welfare/<int:pk>/claim/", welfare_claim, name="welfare_claim"),
    path("welfare/<int:pk>/asks/", welfare_ask_add, name="welfare_ask_add"),
    path("welfare/asks/<int:ask_id>/", ask_update, name="ask_update"),
    path("welfare/asks/<int:ask_id>/remove/", ask_remove, name="ask_remove"),
    path("claims/<int:pk>/", claim_detail, name="claim"),
    path("claims/<int:pk>/act/<str:action>/", claim_act, name="claim_act"),
    path("claims/<int:pk>/confirmation.pdf", claim_pdf, name="claim_pdf"),
    path("members/", members, name="members"),
    path("members/<int:pk>/", member_detail, name="member"),
    path("members/<int:pk>/edit/", member_edit, name="member_edit"),
    path("members/<int:pk>/deactivate/", member_deactivate, name="member_deactivate"),
    path("members/<int:pk>/statement/<int:year>/", member_statement, name="member_statement"),
    path("members/<int:pk>/statement/<int:year>.pdf", member_statement_pdf, name="member_statement_pdf"),
]
