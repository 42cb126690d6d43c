"""Forms of the work-order pages. The action forms come from the transition table
(cases/workflow.py, core.action_forms); the rest are the report and patrol forms (the workbench's
filter is cases.filters.CaseFilterSet's form)."""

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock, profile
from civicgrid.core.action_forms import ActionForm
from civicgrid.core.params import MultipleFileField

from .actions import CaseInput
from .choices import DESK_CHANNELS, CaseAction, RequestType, Urgency
from .models import Case, Category
from .widgets import CategoryPicker, category_choices, category_field
from .workflow import DISPATCH_PARAMS, MACHINE

# Categories a resident may choose on the public form: the local-extension branch (community
# matters) and the street-level classes residents most often report (the street's profile,
# "cases.public_categories").
PUBLIC_CATEGORY_PARENTS = ("E21",)
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{6,19}$")


def _textarea(rows: int = 2, placeholder: Any = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


# ------------------------------------------------------------------ action forms


def action_form(action: str, case: Case, user: Any, data: Any = None, files: Any = None) -> ActionForm:
    """The form of `action`, from its declaration in the transition table."""
    return ActionForm(data, files, obj=case, user=user, transition=MACHINE[action], auto_id=f"id_{action}_%s")


# ------------------------------------------------------------------ intake forms


class LocationFields(forms.Form):
    """A point from the phone's GPS or a map click, or an address typed by hand."""

    address = forms.CharField(
        label=_("地址"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": _("如：乳山路235弄12号"), "autocomplete": "street-address"}
        ),
    )
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_point = data.get("lon") is not None and data.get("lat") is not None
        if not has_point and not (data.get("address") or "").strip():
            raise forms.ValidationError(_("请定位、在地图上点选位置，或填写地址。"))
        return data


class PatrolReportForm(LocationFields):
    category = forms.ChoiceField(label=_("问题分类"), widget=CategoryPicker())
    description = forms.CharField(label=_("问题描述"), widget=_textarea(3, _("看到了什么问题？")))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    photos = MultipleFileField(label=_("现场照片"))

    field_order = ["category", "description", "urgency", "photos", "address", "lon", "lat"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]
        # On a phone the camera opens straight away.
        self.fields["photos"].widget.attrs.update({"capture": "environment"})


def public_categories(street_id: int | None = None) -> QuerySet[Category]:
    common = profile.value("cases.public_categories", street_id)
    return Category.objects.filter(is_active=True).filter(
        parent__code__in=PUBLIC_CATEGORY_PARENTS
    ) | Category.objects.filter(is_active=True, code__in=common)


class PublicReportForm(LocationFields):
    category = forms.ChoiceField(label=_("问题类型"), widget=CategoryPicker())
    request_type = forms.ChoiceField(
        label=_("诉求类型"), choices=RequestType.choices, initial=RequestType.COMPLAINT
    )
    description = forms.CharField(
        label=_("问题描述"), max_length=2000, widget=_textarea(4, _("请说明发生了什么、在哪里、持续多久"))
    )
    reporter_name = forms.CharField(label=_("您的称呼"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        help_text=_("用于回访，并凭后四位查询办理进度；不会对外公开。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    reporter_anonymous = forms.BooleanField(
        label=_("对外匿名（处置单位看不到您的姓名和电话）"), required=False
    )
    photo = forms.FileField(
        label=_("照片（可选）"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )

    field_order = [
        "category",
        "request_type",
        "description",
        "address",
        "lon",
        "lat",
        "photo",
        "reporter_name",
        "reporter_phone",
        "reporter_anonymous",
    ]

    def __init__(self, *args: Any, street_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = category_choices(public_categories(street_id))
        self.fields["category"].choices = choices  # type: ignore[attr-defined]

    def clean_reporter_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("reporter_phone"))


def clean_phone(value: str | None) -> str:
    phone = (value or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise forms.ValidationError(_("请输入有效的电话号码"))
    return re.sub(r"[\s-]", "", phone)


class DeskIntakeForm(LocationFields):
    """代居民登记: the desk registers what a resident told them, by any channel but the
    public form's, with the time it was received and, for 立案并派遣, the dispatch
    (its parameters are the dispatch action's, DISPATCH_PARAMS; left empty, the duty
    table's units)."""

    channel = forms.ChoiceField(label=_("来源渠道"), choices=[(c.value, c.label) for c in DESK_CHANNELS])
    received_at = forms.DateTimeField(
        label=_("受理时间"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    request_type = forms.ChoiceField(label=_("诉求类型"), choices=RequestType.choices)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    description = forms.CharField(label=_("诉求内容"), max_length=2000, widget=_textarea(4))
    reporter_name = forms.CharField(label=_("诉求人"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    reporter_anonymous = forms.BooleanField(label=_("诉求人要求匿名"), required=False)
    photos = MultipleFileField(label=_("现场照片"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        now = clock.localtime().replace(second=0, microsecond=0)
        kwargs.setdefault("initial", {}).setdefault("received_at", now)
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"] = category_field(_("问题分类"))
        self.fields["address"].widget.attrs["list"] = "desk-buildings"
        self.dispatch_params = DISPATCH_PARAMS
        for param in DISPATCH_PARAMS:
            field = param.form_field(None, user)
            field.required = False
            self.fields[param.name] = field
        self.fields["lead_unit"].help_text = _("留空则按职责表派给建议的单位")

    def clean_received_at(self) -> Any:
        value = self.cleaned_data["received_at"]
        if value > clock.now():
            raise forms.ValidationError(_("受理时间不能晚于现在"))
        return value

    def clean_reporter_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("reporter_phone"))

    def case_input(self) -> CaseInput:
        data = self.cleaned_data
        return CaseInput(
            request_type=data["request_type"],
            category=data["category"],
            description=data["description"],
            channel=data["channel"],
            urgency=data["urgency"],
            lon=data.get("lon"),
            lat=data.get("lat"),
            address=data.get("address") or "",
            reporter_name=data.get("reporter_name") or "",
            reporter_phone=data.get("reporter_phone") or "",
            reporter_anonymous=bool(data.get("reporter_anonymous")),
            received_at=data["received_at"],
            photos=data.get("photos") or [],
        )

    def dispatch_steps(self) -> list[tuple[str, dict[str, Any]]]:
        """立案 then 派遣 with the units chosen here (the duty table's when none)."""
        params = {
            p.name: p.form_value(self.cleaned_data[p.name])
            for p in self.dispatch_params
            if self.cleaned_data.get(p.name) not in (None, "", [])
        }
        return [(CaseAction.FILE, {}), (CaseAction.DISPATCH, params)]


class FollowForm(forms.Form):
    number = forms.CharField(
        label=_("工单编号"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    digits = forms.CharField(
        label=_("手机号后四位"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}", "autocomplete": "off"}),
    )

    def clean_number(self) -> str:
        return (self.cleaned_data.get("number") or "").strip().upper()

    def clean_digits(self) -> str:
        digits = (self.cleaned_data.get("digits") or "").strip()
        if not digits.isdigit():
            raise forms.ValidationError(_("请输入 4 位数字"))
        return digits
