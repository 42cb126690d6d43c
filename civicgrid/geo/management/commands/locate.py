"""`manage.py locate LON LAT`: which street, residential area and grid a point lies in."""

import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid.geo.choices import AreaKind
from civicgrid.geo.index import locate


class Command(BaseCommand):
    help = _(
        "打印 WGS84 坐标所在的街道、居民区和网格（每行：层级 编码 名称；缺少的层级显示“-”），"
        "不在任何区域内时只打印 none。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("lon", help=_("经度，例如 121.5"))
        parser.add_argument("lat", help=_("纬度，例如 31.23"))

    def handle(self, *args: Any, **options: Any) -> None:
        lon = self._number(options["lon"], _("经度"))
        lat = self._number(options["lat"], _("纬度"))
        where = locate(lon, lat)
        if not where:
            self.stdout.write("none")
            return
        for kind, ref in (
            (AreaKind.STREET, where.street),
            (AreaKind.RESIDENTIAL, where.residential_area),
            (AreaKind.GRID, where.grid),
        ):
            self.stdout.write(f"{kind.label} {ref.code} {ref.name}" if ref else f"{kind.label} -")

    @staticmethod
    def _number(raw: str, what: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise CommandError(
                _("%(what)s必须是数字（十进制度数），而不是 %(raw)r") % {"what": what, "raw": raw}
            )
        return value
