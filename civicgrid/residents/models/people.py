"""实有人口: persons and the history of where they lived."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area

from ..choices import DocumentType, Employment, Relation, ResidenceStatus, Sex
from ..querysets import PersonQuerySet, ResidenceQuerySet


class Person(AuditedModel):
    """A person of the registry. The ID number, the phone and the notes are personal fields:
    encrypted at rest, masked in every output, revealed only with a logged reason. A person is
    found again (re-import) by the keyed hash of the ID number (`id_number_hash`)."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "residents.Household",
        verbose_name=_("住户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, db_index=True)
    id_type = models.CharField(
        _("证件类型"), max_length=16, choices=DocumentType.choices, default=DocumentType.ID_CARD
    )
    id_number = PersonalDataField(
        _("证件号码"), max_length=40, blank=True, kind=Kind.ID_NUMBER, capability="residents.reveal_id"
    )
    id_number_hash = SearchHashField(of="id_number")
    phone = PersonalDataField(
        _("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability="residents.reveal_phone"
    )
    phone_hash = SearchHashField(of="phone")
    relation = models.CharField(
        _("与户主关系"), max_length=16, choices=Relation.choices, default=Relation.HEAD
    )
    residence = models.CharField(
        _("居住状态"), max_length=24, choices=ResidenceStatus.choices, default=ResidenceStatus.REGISTERED
    )
    employment = models.CharField(_("就业状况"), max_length=16, choices=Employment.choices, blank=True)
    employer = models.CharField(_("工作单位或就读学校"), max_length=100, blank=True)
    notes = PersonalDataField(
        _("备注（敏感）"), max_length=1000, blank=True, kind=Kind.TEXT, capability="residents.reveal_notes"
    )
    notes_hash = SearchHashField(of="notes")
    version = models.PositiveIntegerField(default=1)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["household_id", "id"]
        indexes = [models.Index(fields=["street", "name"], name="residents_person_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("residents:person", args=[self.pk])


class Residence(AuditedModel):
    """One stay of a person in a household: moved in, moved out (None while there), why. Written
    with every move (`actions.registry.move_in`/`move_out`), never edited."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    household = models.ForeignKey("residents.Household", on_delete=models.PROTECT, related_name="residences")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("与户主关系"), max_length=16, choices=Relation.choices)
    moved_in = models.DateField(_("迁入日期"))
    moved_out = models.DateField(_("迁出日期"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    objects = ResidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("居住记录")
        verbose_name_plural = _("居住记录")
        ordering = ["person_id", "moved_in", "id"]
