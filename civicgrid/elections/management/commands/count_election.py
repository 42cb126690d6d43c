"""`manage.py count_election TALLY.json`: the count of one ballot, offline, for audits — the same
`counting.count()` the app's count action applies."""

import json
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from civicgrid.core.errors import InvalidInput
from civicgrid.elections import counting


class Command(BaseCommand):
    help = _(
        "按选举规则计票：读取计票数据 JSON（文件，或 - 表示标准输入），"
        "输出一行 JSON：valid、turnout、elected、vacancies、second_round、reason。"
        "数据有误时在标准错误输出中指明字段，退出码为 1。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tally", help=_("计票数据 JSON 文件，- 表示标准输入"))
        parser.add_argument(
            "--lang",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help=_("说明文字（reason）的语言"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            data = self._read(options["tally"])
            try:
                tally, rules = counting.tally_from_json(data)
                outcome = counting.count(tally, rules)
            except InvalidInput as exc:
                raise _refused(exc) from exc
            # Written only once everything is counted: a refused tally prints nothing on stdout.
            self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))

    def _read(self, path: str) -> Any:
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as file:
                    text = file.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(_("无法读取 %(path)s：%(error)s") % {"path": path, "error": exc}) from exc
        try:
            return json.loads(text, object_pairs_hook=_unique_keys)
        except InvalidInput as exc:
            raise _refused(exc) from exc
        except (ValueError, RecursionError) as exc:
            # ValueError also covers integers too long for int() (sys.get_int_max_str_digits).
            where = _("标准输入") if path == "-" else path
            raise CommandError(
                _("%(path)s 不是有效的 JSON：%(error)s") % {"path": where, "error": exc}
            ) from exc


def _refused(exc: InvalidInput) -> CommandError:
    return CommandError(f"{', '.join(exc.fields)}: {exc.message}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys: a candidate named twice would lose votes unseen.
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise InvalidInput(_("JSON 中“%s”出现了两次") % key, {key: "duplicate"})
        data[key] = value
    return data
