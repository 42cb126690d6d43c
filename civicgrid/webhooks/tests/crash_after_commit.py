"""Test-only script (test_events_crash.py runs it in a child process against a throwaway
database): builds a small world with a webhook subscription to $CRASH_RECEIVER_URL, then
dispatches a case with a hook that ends the process right after the COMMIT, before any
on-commit callback runs, as a power cut or an OOM kill would. Not imported by the project."""

import os
import sys

import django


def main() -> None:
    django.setup()
    from django.db import connection

    from civicgrid.cases import actions as case_actions
    from civicgrid.cases.choices import CaseStatus
    from civicgrid.cases.tests.factories import advance, duty, make_case
    from civicgrid.core.choices import Role
    from civicgrid.testing.factories import build_world
    from civicgrid.webhooks import actions

    world = build_world()
    duty(world)
    actions.create_subscription(
        world.user("east", Role.ADMIN),
        name="大屏",
        url=os.environ["CRASH_RECEIVER_URL"],
        events=["cases.dispatch"],
        streets=[world.east.street],
    )
    case = advance(world, make_case(world), CaseStatus.FILED)
    print(case.pk, flush=True)

    def die() -> None:
        os._exit(17)  # committed; no callback has run

    connection.run_and_clear_commit_hooks = die  # type: ignore[method-assign]
    case_actions.run_action(case.pk, "dispatch", world.user("east", Role.DISPATCHER), {})
    sys.exit("the action returned: the hook did not run")


if __name__ == "__main__":
    main()
