"""What the accounts app lets roles do (core.capabilities)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import STAFF, define
from civicgrid.core.choices import Role

define("accounts.view_accounts", {Role.ADMIN, Role.LEADER}, _("查看本街道的账户"))
define("accounts.manage_accounts", {Role.ADMIN}, _("管理本街道的账户"))
define("accounts.integrations", {Role.ADMIN}, _("管理外部系统接入"))
# Residents report through the public pages and Open311; a token page is for staff scripts.
define("accounts.api_tokens", STAFF, _("API 令牌"))
# The home page of roles that work street-wide: their streets' summaries.
define("accounts.street_home", {Role.ADMIN, Role.DISPATCHER, Role.LEADER}, _("首页查看本街道概况"))
# A grid worker's home is the patrol page on the phone (cases:mobile).
define("accounts.patrol_home", {Role.GRID_WORKER}, _("首页为巡查页面"))
# Roles bound below the street: their scope is their residential areas' or grids' subtrees.
define("accounts.area_scope", {Role.CADRE, Role.GRID_WORKER}, _("只在所属居民区或网格范围内工作"))
# An account's phone in full (the account page, the admin): logged with a reason.
define("accounts.reveal_phone", {Role.ADMIN, Role.LEADER}, _("查看账号的完整手机号"))
