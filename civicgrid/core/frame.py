"""The action frame: how every write to a stateful object runs, whatever the app.

`Frame(machine=…, model=…, load=…, record=…)` binds a workflow machine to a model that has a
`version` and `updated_at` (and the machine's status field). An action is a body registered
with `@frame.implements(action)`: it receives a `Context` and the action's cleaned
parameters and changes what the action changes (`ctx.set(...)`), never the status. The frame
then, in one transaction:

1. loads the object inside the actor's scope (the app's `load`, NotFound outside it) and checks
   the parameters against the declaration (`Machine.clean`), once, before any lock;
2. locks the row, checks the client's `version` (Conflict when stale), asks the machine whether
   the actor may take the action now (capability, state, guards) and what the target is;
3. runs the body, applies the target, bumps the version with an UPDATE conditional on the
   version it read (so exactly one of two concurrent writers wins, on SQLite as on PostgreSQL),
   logs the domain event (`core.events.log`: the `core.Event` row every consumer reads, with
   the body's `ctx.payload`), records the app's view of it (the app's `record`: the timeline
   row) and hands the body's other side effects to `transaction.on_commit`. Files a body
   stored are removed again if the transaction rolls back.

System transitions (the overdue mark) run through `run_system()`: same lock, same table (the
transition is applied only when the machine allows it now, so the job is idempotent), same
version bump and event.
"""

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction

from . import attachments, clock, events
from .errors import Conflict, InvalidInput, NotFound
from .inputs import as_id
from .retry import retry_when_locked
from .workflow import Machine, Transition


@dataclass
class Context:
    obj: Any
    actor: Any
    action: str
    transition: Transition
    from_status: str
    target: str
    now: datetime
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    # What the event's consumers need and no timeline shows (core.Event.payload).
    payload: dict[str, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], object]] = field(default_factory=list)
    on_rollback: list[Callable[[], object]] = field(default_factory=list)
    logged: Any = None  # the core.Event
    event: Any = None  # what the app's `record` returned (cases: the timeline row)

    def set(self, **values: Any) -> None:
        """Change fields of the object; the frame writes them with the version bump."""
        for name, value in values.items():
            setattr(self.obj, name, value)
            self.changed.add(name)

    def on_commit(self, callback: Callable[[], object]) -> None:
        self.after_commit.append(callback)


@dataclass
class FilesContext(Context):
    """The context of a machine whose actions bring photos: the body puts the cleaned files in
    `photos` (and the stage in `stage`); the app's `record` calls `store_photos()`, which writes
    them with the action's event inside its transaction. A rollback removes the files again."""

    photos: list[Any] = field(default_factory=list)
    stage: str = ""
    stored: attachments.StoredFiles = field(default_factory=attachments.StoredFiles)

    def __post_init__(self) -> None:
        self.on_rollback.append(self.stored.cleanup)

    def store_photos(self, stage: str = "") -> list[Any]:
        if not self.photos:
            return []
        return attachments.store(
            self.obj, self.photos, stage or self.stage, self.actor, self.stored, event_id=self.logged.pk
        )


def scoped_loader(model: type[Any], missing: str, key: str = "pk") -> Callable[[Any, Any], Any]:
    """A frame's `load`: the row of `model` named by `ref` (the row, its id, or its `key`
    field such as a number) among those `restrict(actor, "view")` shows, else NotFound(missing)."""

    def load(ref: Any, actor: Any) -> Any:
        if isinstance(ref, model):
            field_name, value = "pk", ref.pk
        else:
            field_name = key
            value = str(ref).strip() if key != "pk" else as_id(str(ref))
        found = (
            model.objects.restrict(actor, "view")
            .filter(**{field_name: value})
            .values_list("pk", flat=True)
            .first()
            if value not in (None, "")
            else None
        )
        if found is None:
            raise NotFound(missing)
        return model.objects.get(pk=found)

    return load


def keep_note(ctx: Context) -> None:
    """A frame's `finish`: what the person wrote with the action (a reason, a finding) becomes
    the event's `note`, where the object's timeline reads it."""
    if ctx.note:
        ctx.payload["note"] = ctx.note


def record_with_photos(ctx: FilesContext) -> Any:
    """A frame's `record` for objects whose trail is their events: the action's photos are
    stored with its event."""
    ctx.store_photos()
    return ctx.logged


# An action's body: (context, **cleaned parameters) -> None.
Body = Callable[..., None]


class Frame:
    def __init__(
        self,
        *,
        machine: Machine,
        model: type[models.Model],
        load: Callable[[Any, Any], Any],
        record: Callable[[Any], Any],
        context_class: type[Context] = Context,
        select_related: tuple[str, ...] = (),
        finish: Callable[[Any], None] | None = None,
    ) -> None:
        self.machine, self.model, self.load, self.record = machine, model, load, record
        # What the app adds to every action once its target is applied, before the event is
        # logged (cases: the reporter's notice of a status change).
        self.finish = finish
        self.context_class, self.select_related = context_class, select_related
        self.bodies: dict[str, Body] = {}
        noun = machine.noun
        # A writer SQLite refused with "database is locked" runs again (core.retry) and then sees
        # the winner's change; one that waited its whole budget is told to try again later.
        self._retry = retry_when_locked(give_up=lambda exc: Conflict(f"{noun}正被他人更新，请稍后重试"))

    # ------------------------------------------------------------------ declaring actions

    def implements(self, action: str) -> Callable[[Body], Callable[..., Any]]:
        """Register the body of `action`; returns the public function
        `fn(ref, actor, *, version=None, **params) -> object` that runs it in the frame."""
        if action not in self.machine:
            raise ValueError(f"{self.machine.name}: {action!r} is not in the transition table")

        def decorate(body: Body) -> Callable[..., Any]:
            self.bodies[action] = body

            @functools.wraps(body)
            def run(ref: Any, actor: Any, *, version: Any = None, **params: Any) -> Any:
                return self.run(ref, action, actor, params, version=version)

            return run

        return decorate

    def takes(self, action: str) -> bool:
        """Whether a person can run `action` through this frame (system steps and creation cannot)."""
        return action in self.bodies

    # ------------------------------------------------------------------ running them

    def run(
        self, ref: Any, action: str, actor: Any, raw: dict[str, Any] | None = None, *, version: Any = None
    ) -> Any:
        """Entry point for the UI, the API and the function of each action: the object after it.
        `raw` may carry the `version` the client read, like the keyword."""
        if not self.takes(action):
            self.machine.clean(action, {}, actor)  # an unknown action: the machine's message
            raise InvalidInput(f"“{self.machine.label(action)}”不能直接执行", {"action": "unknown"})
        raw = dict(raw or {})
        version = _as_version(raw.pop("version", version))
        body = self.bodies[action]
        cleaned: dict[str, Any] = {}

        @self._retry
        def attempt() -> Any:
            # Inside the retry: on SQLite even the scoped read can meet "database table is locked".
            visible = self.load(ref, actor)
            if not cleaned:
                self.machine.check_role(action, actor)
                # Once, outside the transaction: a retry must not read uploads a second time.
                cleaned.update(params=self.machine.clean(action, raw, actor, visible))
            params = cleaned["params"]
            with self.acting(visible.pk, action, actor, version=version, params=params) as ctx:
                body(ctx, **params)
            return ctx.obj

        return attempt()

    def act(
        self,
        pk: Any,
        action: str,
        actor: Any,
        body: Callable[[Any], None],
        *,
        version: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Run `body` in the frame of `action` on object `pk` (again when SQLite was locked);
        the context afterwards (its `event` is the timeline row). `run` does the same for a
        registered body, with the scoped load and the parameters."""

        @self._retry
        def attempt() -> Any:
            with self.acting(pk, action, actor, version=version, params=params) as ctx:
                body(ctx)
            return ctx

        return attempt()

    @contextlib.contextmanager
    def acting(
        self,
        pk: Any,
        action: str,
        actor: Any,
        *,
        version: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> Iterator[Any]:
        """The transaction around one action (`run` uses it; so may an action that acts on
        several objects). The caller has checked that `actor` may see object `pk`."""
        ctx: Context | None = None
        try:
            with transaction.atomic():
                obj = self._lock(pk)
                if version is not None and version != obj.version:
                    noun = self.machine.noun
                    raise Conflict(
                        f"{noun}已被他人更新（当前版本 {obj.version}，你提交的是 {version}），请刷新后重试"
                    )
                transition = self.machine.check(obj, action, actor, params if params is not None else {})
                ctx = self._context(obj, actor, transition, params or {})
                yield ctx
                self._commit(ctx)
        except BaseException:
            for undo in ctx.on_rollback if ctx is not None else []:
                undo()
            raise

    def run_system(self, pk: Any, action: str, body: Callable[[Any], None] | None = None) -> bool:
        """A system transition on object `pk`, if the machine allows it now (else nothing
        happens and the answer is False): the idempotent periodic jobs use this."""
        with transaction.atomic():
            obj = self._lock(pk)
            if not self.machine.allows(obj, action, None):
                return False
            ctx = self._context(obj, None, self.machine[action], {})
            if body is not None:
                body(ctx)
            self._commit(ctx)
        return True

    # ------------------------------------------------------------------ inside the transaction

    def _lock(self, pk: Any) -> Any:
        # Only the object's own row is locked: the rows it joins (select_related, some of them
        # nullable, which PostgreSQL cannot lock in an outer join) are read, not written.
        rows = self.model._default_manager.select_for_update(of=("self",))  # type: ignore[attr-defined]
        return (rows.select_related(*self.select_related) if self.select_related else rows).get(pk=pk)

    def _context(self, obj: Any, actor: Any, transition: Transition, params: dict[str, Any]) -> Context:
        status = self.machine.status_of(obj)
        return self.context_class(
            obj=obj,
            actor=actor,
            action=transition.action,
            transition=transition,
            from_status=status,
            target=self.machine.target(transition, obj, actor),
            now=clock.now(),
            params=params,
        )

    def _commit(self, ctx: Context) -> None:
        status_field = self.machine.status_field
        if status_field in ctx.changed:
            raise AssertionError(f"{ctx.action}: the frame applies the target; a body never sets the status")
        if ctx.target != ctx.from_status:
            ctx.set(**{status_field: ctx.target})
        if self.finish is not None:
            self.finish(ctx)
        obj = ctx.obj
        old_version = obj.version
        values = {name: getattr(obj, name) for name in ctx.changed}
        values.update(version=old_version + 1, updated_at=ctx.now)
        # Conditional on the version we read: with no row locks (SQLite) this is what makes
        # exactly one of two concurrent writers win.
        if self.model._default_manager.filter(pk=obj.pk, version=old_version).update(**values) != 1:  # type: ignore[attr-defined]
            raise Conflict(f"{self.machine.noun}刚被他人更新，请刷新后重试")
        obj.version, obj.updated_at = old_version + 1, ctx.now
        ctx.logged = events.log(obj, ctx.action, ctx.actor, at=ctx.now, payload=ctx.payload)
        ctx.event = self.record(ctx)
        for callback in ctx.after_commit:
            # Robust: once committed, a failing side effect is logged; it must not make the action
            # look failed (the retry around the frame would run it again and meet its own version).
            transaction.on_commit(callback, robust=True)


def _as_version(version: Any) -> int | None:
    if version is None or isinstance(version, int):
        return version
    try:
        return int(version)
    except (TypeError, ValueError):
        raise InvalidInput("version 须为整数", {"version": "invalid"}) from None
