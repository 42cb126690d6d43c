from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: checksums are verified first, then the database and "
        "the media are replaced and the row counts compared with the manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="a civicgrid-backup-… directory")
        parser.add_argument("--yes", action="store_true", help="overwrite a database that already holds data")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checks = backup.restore_backup(
                Path(options["directory"]), using=options["database"], force=options["yes"]
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        width = max((len(check.table) for check in checks), default=10)
        self.stdout.write(f"{'table':<{width}}  {'backup':>9}  {'restored':>9}")
        for check in checks:
            mark = "" if check.ok else "  MISMATCH"
            self.stdout.write(
                f"{check.table:<{width}}  {check.expected if check.expected is not None else '-':>9}  "
                f"{check.actual if check.actual is not None else '-':>9}{mark}"
            )
        bad = [check.table for check in checks if not check.ok]
        if bad:
            raise CommandError(f"row counts differ from the manifest: {', '.join(bad)}")
        self.stdout.write(self.style.SUCCESS(f"restored {len(checks)} tables; every row count matches"))
