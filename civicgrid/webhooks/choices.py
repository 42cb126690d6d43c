"""Choices of the webhooks app.

Event kinds are `<app>.<action>` of the domain event log (core.Event): `cases.dispatch`, …,
one per action of every registered workflow machine (core.workflow.machines), so a new
module's actions become subscribable without a list here. The names used before
docs/decisions/0006 (`case.<action>`) stay accepted as aliases: a subscription that lists an
alias hears of the same events, under the name it subscribed with.
"""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.core.workflow import machines

StrOrPromise = str | Promise
# Old prefix → the machine it names.
ALIASES = {"case": "cases"}


def event_kind(app: str, action: str) -> str:
    return f"{app}.{action}"


def canonical(kind: str) -> str:
    """The `<app>.<action>` name of a kind or its alias."""
    prefix, dot, action = kind.partition(".")
    return event_kind(ALIASES.get(prefix, prefix), action) if dot else kind


# The apps whose events webhooks deliver (delivery.CONSUMER reads these). The registry's
# (residents) are personal and never leave by webhook: its machines offer no kinds.
APPS = frozenset({"cases", "inspections", "programmes"})


def event_choices() -> list[tuple[str, StrOrPromise]]:
    """Every event kind and its label, machine by machine in table order. An app's machines
    share its prefix (inspections.tasks, .orders, .renting → `inspections.<action>`), so an
    action two machines have (`cancel`) is one kind, labelled by the first machine."""
    seen: dict[str, StrOrPromise] = {}
    for name, machine in machines.machines.items():
        app = name.partition(".")[0]
        if app in APPS:
            for action in machine.actions:
                seen.setdefault(event_kind(app, action.value), action.label)
    return list(seen.items())


def alias_choices() -> list[tuple[str, StrOrPromise]]:
    """The old names, with the label of the kind each stands for."""
    by_machine = {machine: old for old, machine in ALIASES.items()}
    return [
        (event_kind(by_machine[kind.partition(".")[0]], kind.partition(".")[2]), label)
        for kind, label in event_choices()
        if kind.partition(".")[0] in by_machine
    ]


def event_kinds() -> frozenset[str]:
    """Every name a subscription may list: the kinds and their aliases."""
    return frozenset(kind for kind, _label in event_choices() + alias_choices())


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SUCCEEDED = "succeeded", _("已送达")
    FAILED = "failed", _("失败")
