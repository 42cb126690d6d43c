from django.db import models


class UnitKind(models.TextChoices):
    STREET_OFFICE = "street_office", "街道科室"
    URBAN_MANAGEMENT = "urban_management", "城管中队"
    POLICE = "police", "派出所"
    HOUSING = "housing", "房管办"
    MARKET = "market", "市场监管所"
    PROPERTY = "property", "物业公司"
    OWNERS_COMMITTEE = "owners_committee", "业委会"
    RESIDENTS_COMMITTEE = "residents_committee", "居委会"
    HEALTH = "health", "社区卫生服务中心"
    GREENING = "greening", "绿化市容所"
    WATER = "water", "供水公司"
    GAS = "gas", "燃气公司"
    POWER = "power", "供电公司"
    TELECOM = "telecom", "通信公司"
    FIRE = "fire", "消防救援站"
    OTHER = "other", "其他"
