from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", pgettext_lazy("singular", "街道")
    RESIDENTIAL = "residential", pgettext_lazy("singular", "居民区")
    GRID = "grid", pgettext_lazy("singular", "网格")


# The parent kind each kind must hang under (district is the root).
PARENT_KIND = {
    AreaKind.STREET: AreaKind.DISTRICT,
    AreaKind.RESIDENTIAL: AreaKind.STREET,
    AreaKind.GRID: AreaKind.RESIDENTIAL,
}


class GridLayerKind(models.TextChoices):
    POLICE = "police", _("警务网格")
    URBAN = "urban", _("城管网格")
    PARTY = "party", _("党建网格")
    OTHER = "other", _("其他网格")
