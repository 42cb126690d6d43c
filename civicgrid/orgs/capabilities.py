"""What the orgs app lets roles do (core.capabilities)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

# A unit's contact phone in full: the desk calls units, leaders follow cases up.
define("orgs.reveal_phone", {Role.ADMIN, Role.DISPATCHER, Role.LEADER}, _("查看处置单位的完整联系电话"))
