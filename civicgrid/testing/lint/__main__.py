"""python -m civicgrid.testing.lint [paths …] (default: the civicgrid package)."""

import sys
from pathlib import Path

from . import ROOT, check_paths


def main(argv: list[str]) -> int:
    findings = check_paths([Path(arg) for arg in argv] or [ROOT / "civicgrid"])
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"{len(findings)} finding(s); a justified exception takes `# lint: allow-… (reason)`",
            file=sys.stderr,
        )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
