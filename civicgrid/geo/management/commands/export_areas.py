"""`manage.py export_areas`: the areas and layer grids as a GeoJSON FeatureCollection on stdout."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid.geo.choices import AreaKind, GridLayerKind
from civicgrid.geo.io import dumps_feature_collection, export_features
from civicgrid.geo.models import Area


class Command(BaseCommand):
    help = _(
        "以 GeoJSON FeatureCollection 输出区域和专业网格"
        "（按编码排序；properties：code、name、kind、parent），可直接用 import_areas 导入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind", choices=[*AreaKind.values, *GridLayerKind.values], help=_("只导出这一层级或图层")
        )
        parser.add_argument("--street", metavar="CODE", help=_("只导出这个街道及其下级（含其专业网格）"))

    def handle(self, *args: Any, **options: Any) -> None:
        street = None
        if options["street"]:
            street = Area.objects.filter(kind=AreaKind.STREET, code=options["street"]).first()
            if street is None:
                raise CommandError(_("没有编码为 %(code)s 的街道") % {"code": options["street"]})
        features = export_features(kind=options["kind"], street=street)
        self.stdout.write(dumps_feature_collection(features), ending="")
