"""`manage.py import_areas FILE.geojson`: create or update areas and layer grids by code."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid.geo.io import AreaImportError, import_areas


class Command(BaseCommand):
    help = _(
        "从 GeoJSON FeatureCollection 导入区域（properties：code、name、kind、parent）。"
        "kind 为 district/street/residential/grid，"
        "或专业网格图层 police/urban/party/other（parent 为街道编码）。"
        "先检查整个文件，有任何问题则逐条列出（要素 #序号 从 1 起计）且不写入任何数据；"
        "按编码新增或更新，重复导入不做任何修改。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("GeoJSON 文件路径（“-” 表示标准输入）"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查，不写入"))

    def handle(self, *args: Any, **options: Any) -> None:
        data = self._load(options["file"])
        try:
            result = import_areas(data, actor=None, via="command", dry_run=options["dry_run"])
        except AreaImportError as exc:
            raise CommandError(
                _("导入失败，未写入任何数据（共 %(count)s 个问题）：") % {"count": len(exc.problems)}
                + "\n"
                + "\n".join(exc.problems)
            ) from exc
        if options["dry_run"]:
            self.stdout.write(_("检查通过，未写入（--dry-run）"))
            return
        self.stdout.write(result.summary())
        if result.buildings_relocated or result.layer_grids_remapped:
            self.stdout.write(
                _("重新定位楼栋 %(buildings)s 个，更新专业网格对应关系 %(layers)s 个")
                % {"buildings": result.buildings_relocated, "layers": result.layer_grids_remapped}
            )

    @staticmethod
    def _load(name: str) -> Any:
        try:
            # utf-8-sig: files saved by Windows tools often start with a BOM.
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(_("无法读取文件 %(file)s：%(error)s") % {"file": name, "error": exc}) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(
                _("文件 %(file)s 不是 UTF-8 编码：%(error)s") % {"file": name, "error": exc}
            ) from exc
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                _("文件 %(file)s 不是有效的 JSON（第 %(line)s 行第 %(col)s 列）：%(error)s")
                % {"file": name, "line": exc.lineno, "col": exc.colno, "error": exc.msg}
            ) from exc
