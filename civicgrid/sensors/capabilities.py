"""What the sensors app lets roles do (core.capabilities). Staff read the devices and alerts of
their street (a committee's cadre those of its area); the street office keeps the register and
posts readings from gateways; cadres and the desk answer alerts."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

define(
    "sensors.view",
    {Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.CADRE, Role.GRID_WORKER},
    _("查看物联设备与报警"),
)
define("sensors.devices", {Role.ADMIN}, _("登记与维护物联设备"))
define("sensors.ingest", {Role.ADMIN}, _("通过网关上报设备读数"))
define(
    "sensors.answer", {Role.ADMIN, Role.DISPATCHER, Role.CADRE}, _("处置物联报警：确认正常、标记误报、转工单")
)
