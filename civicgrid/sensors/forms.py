"""The device register's page forms (actions.devices checks every value again)."""

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building
from civicgrid.residents.choices import CareKind
from civicgrid.residents.models import Person

from .models import DeviceType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def watched_people(user: Any) -> Any:
    """Elderly people living alone (a current tag) in the user's scope: whom a meter watches."""
    today = clock.today()
    current = Q(care_tags__kind=CareKind.ALONE, care_tags__starts_on__lte=today) & (
        Q(care_tags__ends_on__isnull=True) | Q(care_tags__ends_on__gte=today)
    )
    return (
        Person.objects.restrict(user, Action.VIEW)
        .filter(current, household__isnull=False)
        .select_related("household__flat__building")
        .distinct()
        .order_by("household__flat__building__address", "household__flat__room", "pk")
    )


class DeviceForm(forms.Form):
    type = forms.ChoiceField(label=_("设备类型"))
    vendor_id = forms.CharField(
        label=_("设备编号"), max_length=64, help_text=_("厂商编号，与上报消息中的 device 一致")
    )
    street = forms.ChoiceField(label=_("街道"))
    person = forms.ChoiceField(
        label=_("关爱对象"), required=False, help_text=_("智能水表：所看护的独居老人（其住户与房屋随之记入）")
    )
    building = forms.ChoiceField(label=_("楼栋"), required=False)
    place = forms.CharField(label=_("位置说明"), max_length=120, required=False)
    installed_on = forms.DateField(label=_("安装日期"), required=False, widget=DATE)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = DeviceType.objects.restrict(user, Action.VIEW).filter(active=True)
        streets = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
        buildings = Building.objects.restrict(user, Action.VIEW).order_by("address")
        none = [("", "—")]
        self.fields["type"].choices = [(t.pk, t.name) for t in types]  # type: ignore[attr-defined]
        self.fields["street"].choices = [(a.pk, a.name) for a in streets]  # type: ignore[attr-defined]
        self.fields["person"].choices = none + [  # type: ignore[attr-defined]
            (p.pk, f"{p.household} · {p.name}") for p in watched_people(user)
        ]
        self.fields["building"].choices = none + [(b.pk, b.address) for b in buildings]  # type: ignore[attr-defined]


class RetireForm(forms.Form):
    reason = forms.CharField(
        label=_("停用原因"), max_length=200, help_text=_("如：已拆除、损坏更换、老人已搬离")
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
