"""The alert machine on the kernel's engine (core.workflow). An alert is raised by the rules
(rules.py, not a step of the table), counts its repeats while its condition holds (a counter,
not a step: actions.alerts.repeat), and ends answered (a cadre reached the person: all is
well), escalated (a case, and for a care alert a door visit), recovered (the device shows use
again, comes back online, the alarm clears) or as a false alarm (which suppresses the same
alert for the street's window)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.params import Kind, Param
from civicgrid.core.workflow import Machine, Transition, machines

from .choices import AlertAction, AlertStatus

ANSWER = "sensors.answer"
A = AlertStatus


def _note(label: object, *, required: bool) -> Param:
    return Param("note", label, Kind.LONGTEXT, required=required, max_length=500)


ALERT_MACHINE = machines.add(
    Machine(
        name="sensors.alerts",
        statuses=AlertStatus,
        actions=AlertAction,
        noun=_("报警"),
        transitions=[
            Transition(
                AlertAction.ANSWER,
                frozenset({A.OPEN}),
                A.RESOLVED,
                ANSWER,
                params=(_note(_("联系情况"), required=True),),
                primary=True,
            ),
            Transition(
                AlertAction.ESCALATE,
                frozenset({A.OPEN}),
                A.ESCALATED,
                ANSWER,
                params=(_note(_("说明"), required=False),),
                danger=True,
            ),
            Transition(AlertAction.AUTO_ESCALATE, frozenset({A.OPEN}), A.ESCALATED, None),
            Transition(
                AlertAction.FALSE_ALARM,
                frozenset({A.OPEN, A.ESCALATED}),
                A.FALSE_ALARM,
                ANSWER,
                params=(_note(_("误报原因"), required=True),),
            ),
            Transition(AlertAction.RECOVER, frozenset({A.OPEN, A.ESCALATED}), A.RESOLVED, None),
        ],
    )
)
