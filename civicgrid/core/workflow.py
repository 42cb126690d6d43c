"""The one workflow engine.

A machine is a status enum, an action enum and a transition table. Each `Transition` is the
whole declaration of one action: the states it may start from, the state it leads to, the
capability a person needs to take it (None: only the system takes it, e.g. the overdue mark),
the guards beyond state and capability with their refusal message, the parameters it takes
(`core.params.Param`: the web form, the API request schema and the validation all come from
them) and the wording residents read on a public timeline. The action frame (`core.frame`)
applies `target`; no action function sets a status itself. The engine knows nothing of any
app: cases is its first machine, and the tests build a toy one.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from . import capabilities
from .errors import Forbidden, InvalidInput, TransitionNotAllowed
from .params import Param, clean_params

# A guard's test: (object, user, cleaned parameters or None) -> whether the action may go on.
GuardTest = Callable[[Any, Any, Mapping[str, Any] | None], bool]
# A target decided by the object and the actor (a co-handler's signature leaves the case
# where it is, the lead unit's moves it on).
TargetRule = Callable[[Any, Any], str]


@dataclass(frozen=True)
class Guard:
    """A condition beyond state and capability. `on_params` guards look at the action's
    parameters (the merge's master case): they are checked when the action is submitted,
    not when the buttons are listed. A refusal names `field` (400) when it is about a
    parameter, else it is a 409: the object's state does not allow the action now."""

    test: GuardTest
    # The refusal; a callable (object, user, params) -> text when it names what it found.
    message: Any
    on_params: bool = False
    field: str = ""
    code: str = "invalid"

    def refuse(self, obj: Any, user: Any, params: Mapping[str, Any] | None) -> Exception:
        message = str(self.message(obj, user, params) if callable(self.message) else self.message)
        if self.field:
            return InvalidInput(message, {self.field: self.code})
        return TransitionNotAllowed(message)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    # None: the status stays; a rule: decided by the object and the actor before the action runs.
    target: str | TargetRule | None = None
    # The capability a person needs (core.capabilities); None: a system transition.
    capability: str | None = None
    guards: tuple[Guard, ...] = ()
    params: tuple[Param, ...] = ()
    # What a resident reads on the public timeline for this step ("" = not shown).
    public: Any = ""
    # The main step of its states: listed first on the object's page.
    primary: bool = False
    # Irreversible or refusing: the button is styled as a warning.
    danger: bool = False

    @property
    def is_system(self) -> bool:
        return self.capability is None

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


class Machine:
    """A status enum, an action enum and the table; `check()` and `allowed_actions()` answer
    from the same table, so no button is offered for an action that would then be refused."""

    def __init__(
        self,
        *,
        name: str,
        statuses: type[models.TextChoices],
        actions: type[models.TextChoices],
        transitions: Iterable[Transition],
        noun: Any,
        status_field: str = "status",
    ) -> None:
        self.name, self.statuses, self.actions, self.noun = name, statuses, actions, noun
        self.status_field = status_field
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            unknown = {s for s in t.sources if s not in statuses.values}
            if isinstance(t.target, str) and t.target not in statuses.values:
                unknown.add(t.target)
            if t.action not in actions.values or unknown or t.action in self.transitions:
                raise ValueError(f"{name}: bad transition {t.action!r} (unknown states {sorted(unknown)})")
            self.transitions[t.action] = t

    def __contains__(self, action: object) -> bool:
        return action in self.transitions

    def __getitem__(self, action: str) -> Transition:
        return self.transitions[action]

    def label(self, action: str) -> str:
        return str(self.actions(action).label)

    def clean(self, action: str, raw: Mapping[str, Any], user: Any, obj: Any = None) -> dict[str, Any]:
        """The action's parameters checked and converted (unknown or bad ones: InvalidInput naming them)."""
        if action not in self.transitions:
            raise InvalidInput(f"未知的操作：{action}", {"action": "unknown"})
        return clean_params(self[action].params, raw, user, action_label=self.label(action), obj=obj)

    def status_of(self, obj: Any) -> str:
        return getattr(obj, self.status_field)

    def target(self, transition: Transition, obj: Any, user: Any) -> str:
        """The status after `transition` (the current one when it does not move)."""
        if transition.target is None:
            return self.status_of(obj)
        if isinstance(transition.target, str):
            return transition.target
        return transition.target(obj, user)

    def may_take(self, transition: Transition, user: Any) -> bool:
        """Whether `user` may take this kind of step at all (the system is `None`)."""
        if transition.is_system:
            return user is None
        return user is not None and capabilities.may(user, transition.capability or "")

    def check_role(self, action: str, user: Any) -> Transition:
        """The transition if `user`'s role may take it at all (Forbidden otherwise): asked
        before the parameters are read, whose references a role without it may not see."""
        transition = self.transitions.get(action)
        if transition is None:
            raise InvalidInput(f"未知的操作：{action}", {"action": "unknown"})
        if not self.may_take(transition, user):
            raise Forbidden(f"你的角色不能执行“{self.label(action)}”")
        return transition

    def check(self, obj: Any, action: str, user: Any, params: Mapping[str, Any] | None = None) -> Transition:
        """The transition, or an error saying exactly why not (unknown action, capability,
        state, guard). `params` (cleaned) also runs the guards on parameters."""
        transition = self.check_role(action, user)
        status = self.status_of(obj)
        if status not in transition.sources:
            raise TransitionNotAllowed(
                f"{self.noun}当前状态为“{self.statuses(status).label}”，不能执行“{self.label(action)}”"
            )
        for guard in transition.guards:
            if guard.on_params and params is None:
                continue
            if not guard.test(obj, user, params):
                raise guard.refuse(obj, user, params)
        return transition

    def allows(self, obj: Any, action: str, user: Any) -> bool:
        try:
            self.check(obj, action, user)
        except (Forbidden, TransitionNotAllowed, InvalidInput):
            return False
        return True

    def allowed_actions(self, obj: Any, user: Any) -> list[str]:
        """Actions this user may take on this object now, in table order (the UI shows only these)."""
        return [action for action in self.transitions if self.allows(obj, action, user)]

    def public_steps(self) -> dict[str, Any]:
        """Action → the wording residents read, for the actions that have one."""
        return {a: t.public for a, t in self.transitions.items() if t.public}


@dataclass
class Registry:
    """Every machine by name (`cases`, …): the webhooks and the API list what exists from here."""

    machines: dict[str, Machine] = field(default_factory=dict)

    def add(self, machine: Machine) -> Machine:
        self.machines[machine.name] = machine
        return machine


machines = Registry()
