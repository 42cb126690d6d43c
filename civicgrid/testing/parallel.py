"""The pytest-xdist scheduler of `make test` (conftest.py installs it for `--dist loadfile`): a
file's tests stay together on one worker, and every worker runs its tests in the collection's
order.

The order matters: pytest-django sorts the collection as Django's runner does — tests inside a
rolled-back transaction first, then transactional ones (live server, threads), which flush every
table at their end, taking the rows the data migrations wrote (the category tree…), then tests
without the database. xdist's own loadfile hands out whole files biggest first, so a worker could
run a plain test on a database another file's transactional test had just flushed.

This is xdist's `load` (consecutive chunks of the collection, each worker's in ascending order),
with every chunk extended to the end of its last file's run of tests. It counts tests by their
place in the collection, not by their id: schemathesis gives its generated tests one id per test
function, and the id-keyed loadfile/loadscope run only one of them.
"""

from xdist.scheduler import LoadScheduling
from xdist.workermanage import WorkerController


class InOrderFileScheduling(LoadScheduling):
    _run_of: list[int] | None = None  # per test (by index): the number of its file's run

    def _send_tests(self, node: WorkerController, num: int) -> None:
        if self._run_of is None:
            # The collection is known by the first send (schedule() sets it first).
            assert self.collection is not None
            self._run_of = []
            previous, run = "", 0
            for nodeid in self.collection:
                path = nodeid.split("::", 1)[0]
                if path != previous:
                    previous, run = path, run + 1
                self._run_of.append(run)
        if 0 < num < len(self.pending):
            last = self._run_of[self.pending[num - 1]]
            while num < len(self.pending) and self._run_of[self.pending[num]] == last:
                num += 1
        super()._send_tests(node, num)
