"""What the webhooks app lets roles do (core.capabilities)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

define("webhooks.manage", {Role.ADMIN}, _("管理本街道的 Webhook 订阅"))
