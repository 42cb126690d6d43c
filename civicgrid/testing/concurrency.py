"""Running one function in several threads at once, each with its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(work: Callable[[], object], n: int, timeout: float = 120) -> list[str]:
    """Start `work` in `n` threads released together; the errors they raised (empty: none)."""
    errors: list[str] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        try:
            barrier.wait()
            work()
        except Exception as exc:  # anything is a failure: show it
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return errors
