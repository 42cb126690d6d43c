"""The registry pages' forms: they parse and check what a person typed; the writes are
residents.actions.registry's (each form's `run()` calls one action and nothing else)."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.widgets import FastSelect

from .actions import registry
from .care import is_sensitive, visible_sensitive_kinds
from .choices import CareKind, DocumentType, Employment, FlatUse, Relation, ResidenceStatus, Sex, Tenure
from .models import CareTag, Flat, Household, LocalCareKind, Person

DATE = forms.DateInput(attrs={"type": "date"})


class RegistryForm(forms.Form):
    """A registry write typed on a page: each subclass's `call()` takes one action of
    actions/registry.py (these writes are no machine transitions, so core.action_forms does not
    apply); `run()` puts the action's refusal under the field it names (else above the form)
    and answers None."""

    # Each subclass defines it: the one action, with the cleaned data.
    call: Callable[[dict[str, Any]], Any]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def run(self) -> Any:
        if not self.is_valid():
            return None
        try:
            return self.call(self.cleaned_data)
        except ActionError as exc:
            field = next((f for f in exc.fields if f in self.fields), None)
            self.add_error(field, exc.message)
            return None


def _choices(choices: Any, blank: bool = False) -> list[tuple[str, Any]]:
    return [("", "—"), *choices] if blank else list(choices)


# ---------------------------------------------------------------------------- flats, households


class FlatForm(RegistryForm):
    room = forms.CharField(label=_("室号"), max_length=32)
    floor = forms.IntegerField(label=_("楼层"), required=False, min_value=-10, max_value=200)
    use = forms.ChoiceField(label=_("房屋用途"), choices=FlatUse.choices)
    area_m2 = forms.DecimalField(
        label=_("建筑面积（平方米）"), required=False, min_value=0, max_digits=7, decimal_places=2
    )
    owner_name = forms.CharField(label=_("产权人"), max_length=50, required=False)
    owner_phone = forms.CharField(
        label=_("产权人电话"), max_length=30, required=False, help_text=_("修改时留空表示不变")
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, building: Any, flat: Flat | None = None, **kwargs: Any) -> None:
        if flat is not None:
            kwargs.setdefault(
                "initial",
                {
                    "room": flat.room,
                    "floor": flat.floor,
                    "use": flat.use,
                    "area_m2": flat.area_m2,
                    "owner_name": flat.owner_name,
                    "note": flat.note,
                    "version": flat.version,
                },
            )
        super().__init__(*args, **kwargs)
        self.building, self.flat = building, flat

    def call(self, data: dict[str, Any]) -> Flat:
        fields = {k: data[k] for k in ("floor", "use", "area_m2", "owner_name", "note")}
        # A personal value is never shown in a form: blank keeps the one on file.
        if data["owner_phone"] or self.flat is None:
            fields["owner_phone"] = data["owner_phone"]
        return registry.save_flat(
            self.user,
            building=self.building,
            room=data["room"],
            flat=self.flat,
            version=data.get("version"),
            **fields,
        )


class HouseholdForm(RegistryForm):
    flat = forms.ModelChoiceField(
        label=_("房屋"), queryset=Flat.objects.none(), widget=FastSelect, empty_label="—"
    )
    tenure = forms.ChoiceField(label=_("居住方式"), choices=Tenure.choices)
    moved_in = forms.DateField(label=_("迁入日期"), required=False, widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, flats: QuerySet[Flat], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["flat"]
        field.queryset = flats  # type: ignore[attr-defined]
        field.label_from_instance = lambda flat: flat.room  # type: ignore[attr-defined]
        if len(flats) == 1:
            field.initial = flats[0]
            field.widget = forms.HiddenInput()

    def call(self, data: dict[str, Any]) -> Household:
        return registry.register_household(
            self.user, flat=data["flat"], tenure=data["tenure"], moved_in=data["moved_in"], note=data["note"]
        )


# ---------------------------------------------------------------------------- persons


class PersonForm(RegistryForm):
    """Add a person to a household, or change one (`person`, with the version read). The
    personal fields (number, phone, notes) are never filled in: blank keeps what is on file."""

    household = forms.ModelChoiceField(
        label=_("住户"), queryset=Household.objects.none(), widget=FastSelect, empty_label="—"
    )
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=DocumentType.choices)
    id_number = forms.CharField(label=_("证件号码"), max_length=40, required=False)
    sex = forms.ChoiceField(label=_("性别"), choices=_choices(Sex.choices, blank=True), required=False)
    birth_date = forms.DateField(
        label=_("出生日期"), required=False, widget=DATE, help_text=_("留空时按身份证号码填写")
    )
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    residence = forms.ChoiceField(label=_("居住状态"), choices=ResidenceStatus.choices)
    employment = forms.ChoiceField(
        label=_("就业状况"), choices=_choices(Employment.choices, blank=True), required=False
    )
    employer = forms.CharField(label=_("工作单位或就读学校"), max_length=100, required=False)
    notes = forms.CharField(label=_("备注（敏感）"), max_length=1000, required=False, widget=forms.Textarea)
    moved_in = forms.DateField(label=_("迁入日期"), required=False, widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    PERSONAL = ("id_number", "phone", "notes")

    def __init__(
        self,
        *args: Any,
        households: QuerySet[Household] | None = None,
        person: Person | None = None,
        **kwargs: Any,
    ) -> None:
        if person is not None:
            plain = (
                "name",
                "id_type",
                "sex",
                "birth_date",
                "relation",
                "residence",
                "employment",
                "employer",
            )
            kwargs.setdefault(
                "initial", {**{f: getattr(person, f) for f in plain}, "version": person.version}
            )
        super().__init__(*args, **kwargs)
        self.person = person
        if person is not None:
            del self.fields["household"], self.fields["moved_in"]
            for name in self.PERSONAL:
                self.fields[name].help_text = _("已登记的不显示；留空表示不变")
            return
        field = self.fields["household"]
        field.queryset = households if households is not None else Household.objects.none()  # type: ignore[attr-defined]
        field.label_from_instance = lambda h: h.flat.room  # type: ignore[attr-defined]
        if households is not None and len(households) == 1:
            field.initial = households[0]
            field.widget = forms.HiddenInput()

    def call(self, data: dict[str, Any]) -> Person:
        keep = ("household", "moved_in", "version")
        fields = {k: v for k, v in data.items() if k not in keep}
        fields["birth_date"] = fields["birth_date"] or None
        if self.person is not None:
            for name in self.PERSONAL:
                if not fields[name]:
                    del fields[name]
            return registry.save_person(self.user, person=self.person, version=data.get("version"), **fields)
        return registry.save_person(
            self.user, household=data["household"], moved_in=data["moved_in"], **fields
        )


class MoveInForm(RegistryForm):
    household = forms.ModelChoiceField(
        label=_("迁入住户"), queryset=Household.objects.none(), widget=FastSelect, empty_label="—"
    )
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    on = forms.DateField(label=_("迁入日期"), widget=DATE)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)

    def __init__(self, *args: Any, person: Person, households: QuerySet[Household], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": clock.today()})
        super().__init__(*args, **kwargs)
        self.person = person
        self.fields["household"].queryset = households  # type: ignore[attr-defined]

    def call(self, data: dict[str, Any]) -> Person:
        return registry.move_in(
            self.user,
            self.person,
            data["household"],
            relation=data["relation"],
            on=data["on"],
            reason=data["reason"],
        )


class MoveOutForm(RegistryForm):
    on = forms.DateField(label=_("迁出日期"), widget=DATE)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
    deceased = forms.BooleanField(label=_("已死亡"), required=False)

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": clock.today()})
        super().__init__(*args, **kwargs)
        self.person = person

    def call(self, data: dict[str, Any]) -> Person:
        return registry.move_out(
            self.user, self.person, on=data["on"], reason=data["reason"], deceased=data["deceased"]
        )


# ---------------------------------------------------------------------------- care tags


class CareTagForm(RegistryForm):
    kind = forms.ChoiceField(label=_("关爱类别"), choices=())
    local_kind = forms.ModelChoiceField(
        label=_("街道自定义类别"), queryset=LocalCareKind.objects.none(), required=False, empty_label="—"
    )
    disability_grade = forms.IntegerField(label=_("残疾等级"), min_value=1, max_value=4, required=False)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), required=False, widget=DATE)
    note = forms.CharField(label=_("说明（敏感）"), max_length=500, required=False)

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"starts_on": clock.today()})
        super().__init__(*args, **kwargs)
        self.person = person
        # Only the kinds the reader may see are offered (a sensitive one needs its capability).
        allowed = set(visible_sensitive_kinds(self.user))
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (k, label) for k, label in CareKind.choices if not is_sensitive(k) or k in allowed
        ]
        self.fields["local_kind"].queryset = LocalCareKind.objects.restrict(  # type: ignore[attr-defined]
            self.user, Action.VIEW
        ).filter(street_id=person.street_id, is_active=True)

    def call(self, data: dict[str, Any]) -> CareTag:
        return registry.add_care_tag(
            self.user,
            self.person,
            kind=data["kind"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            disability_grade=data["disability_grade"],
            local_kind=data["local_kind"],
            note=data["note"],
        )


class EndTagForm(RegistryForm):
    tag = forms.ModelChoiceField(queryset=CareTag.objects.none(), widget=forms.HiddenInput)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, tags: QuerySet[CareTag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags  # type: ignore[attr-defined]

    def call(self, data: dict[str, Any]) -> CareTag:
        return registry.end_care_tag(
            self.user, data["tag"], ends_on=data["ends_on"], version=data.get("version")
        )
