"""A version number in the shared cache that tells every process to drop what it cached
(the holiday table, street profiles): `bump()` after a change, `stale()` before reading the
process's copy. Without Redis the cache is per process, so a change reaches only this one."""

import time

from django.core.cache import cache


class SharedVersion:
    def __init__(self, key: str) -> None:
        self.key = key
        self.seen: int | None = None
        self.last_check = 0.0

    def bump(self) -> None:
        try:
            self.seen = cache.incr(self.key)
        except ValueError:
            cache.set(self.key, 1, None)
            self.seen = 1

    def stale(self, check_seconds: float) -> bool:
        """Whether another process bumped the version since we last looked (the shared cache
        is asked at most once per `check_seconds`)."""
        now = time.monotonic()
        if now - self.last_check < check_seconds:
            return False
        self.last_check = now
        version = cache.get(self.key, 0)
        if version == self.seen:
            return False
        self.seen = version
        return True
