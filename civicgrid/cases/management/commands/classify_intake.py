import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicgrid.cases.intake import model as intake_model
from civicgrid.core.spreadsheets import ImportFileError

BATCH = 500  # texts predicted together


class Command(BaseCommand):
    help = (
        "用智能派单模型给表格中的每一行分类，每行输出一个 JSON 对象："
        '{"row": 行号, "label": 类别, "confidence": 置信度}（行号按表格计，表头为第 1 行；'
        "文本为空的行 label 与 confidence 为 null）。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="表格（.xlsx 或 .csv，表头在第 1 行）")
        parser.add_argument("--model", required=True, metavar="MODEL", help="train_intake 生成的模型文件")
        parser.add_argument("--text-column", required=True, help="文本列的表头")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = intake_model.load(options["model"])
        except intake_model.ModelFileError as exc:
            raise CommandError(str(exc)) from exc
        batch: list[tuple[int, str]] = []
        try:
            for number, text, _label in intake_model.file_rows(options["file"], options["text_column"]):
                batch.append((number, text))
                if len(batch) >= BATCH:
                    self._write(model, batch)
                    batch = []
        except ImportFileError as exc:
            self._write(model, batch)  # the rows read before the damage
            raise CommandError(str(exc)) from exc
        self._write(model, batch)

    def _write(self, model: intake_model.IntakeModel, batch: list[tuple[int, str]]) -> None:
        texts = [(n, t) for n, t in batch if t.strip()]
        found = dict(zip([n for n, _t in texts], model.predict([t for _n, t in texts]), strict=True))
        for number, _text in batch:
            p = found.get(number)
            line = {
                "row": number,
                "label": p.label if p else None,
                "confidence": round(p.confidence, 4) if p else None,
            }
            self.stdout.write(json.dumps(line, ensure_ascii=False))
