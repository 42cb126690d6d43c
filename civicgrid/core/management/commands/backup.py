from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump or SQLite's backup API) and the media files "
        "into a timestamped directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(Path(settings.VAR_DIR) / "backups"),
            help="directory in which the timestamped backup directory is created (default: var/backups)",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        output.mkdir(parents=True, exist_ok=True)
        try:
            directory = backup.create_backup(output, using=options["database"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = backup.verify_backup(directory)
        rows = sum(manifest["counts"].values())
        tables, files = len(manifest["counts"]), manifest["media_files"]
        self.stdout.write(f"{directory}\n  {tables} tables, {rows} rows, {files} media files")
