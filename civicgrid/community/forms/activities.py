"""The hand-written forms of the activities pages: a venue (with its weekly hours and rooms), an
activity and a series. The choices are the reader's rows; the actions check everything again."""

from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..choices import ActivityCategory, ActivityRecurrence, Audience, VenueKind, Weekday
from ..models import Room, Venue

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
CLOCK = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
SESSIONS = 2  # openings per weekday on the form (morning, afternoon)


def _areas(user: Any, kind: str) -> Any:
    return Area.objects.restrict(user, Action.VIEW).filter(kind=kind).order_by("code")


class VenueForm(forms.Form):
    street = forms.ModelChoiceField(label=_("街道"), queryset=Area.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=VenueKind.choices)
    name = forms.CharField(label=_("名称"), max_length=80)
    area = forms.ModelChoiceField(
        label=_("居民区"), queryset=Area.objects.none(), required=False, help_text=_("留空：街道层面的场所")
    )
    address = forms.CharField(label=_("地址"), max_length=120, required=False)
    phone = forms.CharField(label=_("场所电话"), max_length=30, required=False)
    description = forms.CharField(label=_("简介"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    accessible = forms.BooleanField(label=_("无障碍设施"), required=False)
    active = forms.BooleanField(label=_("开放中"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, venue: Venue | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = _areas(user, AreaKind.RESIDENTIAL)
        if venue is not None:
            del self.fields["street"]
            areas = areas.filter(street_id=venue.street_id)
        else:
            streets = _areas(user, AreaKind.STREET)
            self.fields["street"].queryset = streets  # type: ignore[attr-defined]
            if len(streets) == 1:
                self.fields["street"].initial = streets[0].pk
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


class HoursForm(forms.Form):
    """The venue's week: up to SESSIONS openings a day, each an opening and a closing time."""

    def __init__(self, *args: Any, venue: Venue | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current: dict[int, list[Any]] = {}
        for opening in venue.hours.all() if venue is not None else []:
            current.setdefault(opening.weekday, []).append(opening)
        for day in Weekday:
            for i in range(SESSIONS):
                held = current.get(day.value, [])
                row = held[i] if i < len(held) else None
                for part, label in (("opens", _("开放")), ("closes", _("关闭"))):
                    self.fields[f"d{day.value}_{i}_{part}"] = forms.TimeField(
                        label=f"{day.label} {label}",
                        widget=CLOCK,
                        required=False,
                        initial=getattr(row, part, None),
                    )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": day.label,
                "sessions": [
                    (self[f"d{day.value}_{i}_opens"], self[f"d{day.value}_{i}_closes"])
                    for i in range(SESSIONS)
                ],
            }
            for day in Weekday
        ]

    def hours(self) -> list[tuple[int, time, time]]:
        out = []
        for day in Weekday:
            for i in range(SESSIONS):
                opens = self.cleaned_data.get(f"d{day.value}_{i}_opens")
                closes = self.cleaned_data.get(f"d{day.value}_{i}_closes")
                if opens or closes:
                    if not (opens and closes):
                        raise forms.ValidationError(_("%(day)s须同时填写开放和关闭时间") % {"day": day.label})
                    out.append((day.value, opens, closes))
        return out


class RoomForm(forms.Form):
    name = forms.CharField(label=_("房间"), max_length=40)
    capacity = forms.IntegerField(label=_("容纳人数"), min_value=1, max_value=10000)
    active = forms.BooleanField(label=_("可用"), required=False, initial=True)


def _venue_fields(form: forms.Form, user: Any) -> None:
    venues = Venue.objects.restrict(user, Action.VIEW).filter(active=True).order_by("kind", "name")
    form.fields["venue"].queryset = venues  # type: ignore[attr-defined]
    rooms = Room.objects.restrict(user, Action.VIEW).filter(active=True).select_related("venue")
    form.fields["room"].queryset = rooms.order_by("venue__name", "name")  # type: ignore[attr-defined]


class _ActivityFields(forms.Form):
    venue = forms.ModelChoiceField(label=_("活动场所"), queryset=Venue.objects.none(), required=False)
    room = forms.ModelChoiceField(
        label=_("活动室"), queryset=Room.objects.none(), required=False, help_text=_("须为所选场所的活动室")
    )
    place = forms.CharField(
        label=_("其他地点"), max_length=120, required=False, help_text=_("不在场所内举办时填写")
    )
    title = forms.CharField(label=_("活动名称"), max_length=100)
    description = forms.CharField(
        label=_("活动内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    category = forms.ChoiceField(label=_("类别"), choices=ActivityCategory.choices)
    audience = forms.ChoiceField(label=_("面向对象"), choices=Audience.choices, initial=Audience.EVERYONE)
    organiser = forms.CharField(label=_("主办方"), max_length=80)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10000)
    waiting_limit = forms.IntegerField(
        label=_("候补名额"), min_value=0, max_value=1000, required=False, help_text=_("留空：按街道默认值")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _venue_fields(self, user)


class ActivityForm(_ActivityFields):
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=MOMENT)
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=MOMENT)
    sign_up_closes_at = forms.DateTimeField(
        label=_("报名截止"), widget=MOMENT, required=False, help_text=_("留空：活动开始时截止")
    )


class SeriesForm(_ActivityFields):
    recurrence = forms.ChoiceField(label=_("重复方式"), choices=ActivityRecurrence.choices)
    weekday = forms.TypedChoiceField(label=_("星期"), choices=Weekday.choices, coerce=int)
    starts_at = forms.TimeField(label=_("开始时间"), widget=CLOCK)
    minutes = forms.IntegerField(label=_("时长（分钟）"), min_value=1, max_value=24 * 60, initial=90)
    first_day = forms.DateField(label=_("首次日期"), widget=DATE)
    last_day = forms.DateField(
        label=_("截止日期"), widget=DATE, help_text=_("期间内的法定节假日自动跳过；一次最多安排 60 次")
    )
    publish = forms.BooleanField(label=_("立即发布（开放报名）"), required=False)
