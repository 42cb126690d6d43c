"""What a street sets for itself in Open311 (core.profile)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.cases.profile_settings import category_codes
from civicgrid.core.profile import Codes, define

# Mass incidents are sensitive; group renting, elderly people living alone and neighbour
# disputes point at one household.
define(
    "open311.private_categories",
    Codes(category_codes),
    ["E0409", "E2101", "E2110", "E2111"],
    _("Open311 不公开的分类"),
    _("这些分类及其下级分类不作为服务提供，其工单也不向匿名读者显示；编码以逗号分隔"),
)
