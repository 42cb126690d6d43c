from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    STREET_OFFICE = "street_office", _("街道科室")
    URBAN_MANAGEMENT = "urban_management", _("城管中队")
    POLICE = "police", _("派出所")
    HOUSING = "housing", _("房管办")
    MARKET = "market", _("市场监管所")
    PROPERTY = "property", _("物业公司")
    OWNERS_COMMITTEE = "owners_committee", _("业委会")
    RESIDENTS_COMMITTEE = "residents_committee", _("居委会")
    HEALTH = "health", _("社区卫生服务中心")
    GREENING = "greening", _("绿化市容所")
    WATER = "water", _("供水公司")
    GAS = "gas", _("燃气公司")
    POWER = "power", _("供电公司")
    TELECOM = "telecom", _("通信公司")
    FIRE = "fire", _("消防救援站")
    OTHER = "other", _("其他")
