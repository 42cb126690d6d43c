from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicgrid.cases.intake import model as intake_model
from civicgrid.cases.intake import suggest
from civicgrid.core import clock
from civicgrid.core.spreadsheets import ImportFileError
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area


class Command(BaseCommand):
    help = (
        "训练智能派单模型（分词 + 线性模型）：--from-cases 用一个街道已结案的工单和受理员的更正，"
        "--from-file 用表格（.xlsx 或 .csv）中的文本列和类别列。模型保存到 --output；"
        "--from-cases 省略 --output 时保存到该街道的模型位置，受理页面即时使用。"
    )

    def add_arguments(self, parser: Any) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--from-cases", action="store_true", help="用本系统的工单训练（须指定 --street）")
        source.add_argument("--from-file", metavar="FILE", help="用表格训练（.xlsx 或 .csv，表头在第 1 行）")
        parser.add_argument("--street", help="--from-cases：街道编码")
        parser.add_argument("--text-column", help="--from-file：文本列的表头")
        parser.add_argument("--label-column", help="--from-file：类别列的表头")
        parser.add_argument("--output", metavar="MODEL", help="模型文件（.joblib）")

    def handle(self, *args: Any, **options: Any) -> None:
        output = options.get("output")
        try:
            if options["from_cases"]:
                street = self._street(options.get("street"))
                output = output or str(suggest.model_path(street))
                model = suggest.train_street(street, Path(output))
            else:
                if not output:
                    raise CommandError("--from-file 须指定 --output")
                model = self._from_file(
                    options["from_file"], options.get("text_column"), options.get("label_column")
                )
                intake_model.save(model, output)
        except intake_model.TrainingError as exc:
            raise CommandError(str(exc)) from exc
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"无法写入模型文件 {output}：{exc.strerror or exc}") from exc
        info = model.info
        self.stdout.write(f"已训练：{info['rows']} 条记录，{info['labels']} 个类别 → {output}")

    def _street(self, code: str | None) -> Area:
        if not code:
            raise CommandError("--from-cases 须指定 --street（街道编码）")
        street = Area.objects.filter(code=code, kind=AreaKind.STREET).first()
        if street is None:
            raise CommandError(f"街道“{code}”不存在")
        return street

    def _from_file(self, path: str, text: str | None, label: str | None) -> intake_model.IntakeModel:
        if not text or not label:
            raise CommandError("--from-file 须指定 --text-column 和 --label-column")
        examples = [
            intake_model.Example(body, tag) for _n, body, tag in intake_model.file_rows(path, text, label)
        ]
        return intake_model.train(
            examples, info={"source": Path(path).name, "trained_at": clock.now().isoformat()}
        )
