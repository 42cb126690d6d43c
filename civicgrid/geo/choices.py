from django.db import models


class AreaKind(models.TextChoices):
    DISTRICT = "district", "区"
    STREET = "street", "街道"
    RESIDENTIAL = "residential", "居民区"
    GRID = "grid", "网格"


# The parent kind each kind must hang under (district is the root).
PARENT_KIND = {
    AreaKind.STREET: AreaKind.DISTRICT,
    AreaKind.RESIDENTIAL: AreaKind.STREET,
    AreaKind.GRID: AreaKind.RESIDENTIAL,
}


class GridLayerKind(models.TextChoices):
    POLICE = "police", "警务网格"
    URBAN = "urban", "城管网格"
    PARTY = "party", "党建网格"
    OTHER = "other", "其他网格"
