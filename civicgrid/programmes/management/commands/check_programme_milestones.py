"""`manage.py check_programme_milestones`: the daily overdue check of practical projects'
milestones, for installations without Celery beat (cron)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from civicgrid.programmes.actions.projects import mark_overdue_milestones


class Command(BaseCommand):
    help = _("将到期未完成的实事项目节点标记为逾期并通知责任单位和街道（可重复执行）")

    def handle(self, *args: Any, **options: Any) -> None:
        marked = mark_overdue_milestones()
        self.stdout.write(_("已标记 %(n)d 个逾期节点") % {"n": marked})
