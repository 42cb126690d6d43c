"""The workbench's bulk actions (批量立案、派遣、督办): each selected case goes through the
ordinary action (actions.run_action: scope, table, guards, the version the page showed), in
its own transaction, so one refused or conflicting case never stops the others and no case
is half-written. Each case gets its result. Selections over INLINE_LIMIT run as a background
job (cases.jobs, kind "cases.batch_action") with its progress page."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import may
from civicgrid.core.choices import Action
from civicgrid.core.inputs import as_id

from . import actions
from .choices import CaseAction
from .errors import CaseError, Conflict
from .models import Case
from .workflow import DISPATCH_PARAMS, MACHINE

# What a selection may do, with the parameters the bulk form passes to each.
BATCH_PARAMS: dict[str, tuple[str, ...]] = {
    CaseAction.FILE: ("note",),
    CaseAction.DISPATCH: ("lead_unit", "co_units", "note"),
    CaseAction.SUPERVISE: ("note",),
}
# More cases than this run as a job, not in the request.
INLINE_LIMIT = 10
# One request never names more (a page of the workbench is 25).
MAX_SELECTION = 500

DONE, REFUSED, CONFLICT = "done", "refused", "conflict"

Selection = list[tuple[int, int]]  # (case id, the version the page showed)


@dataclass(frozen=True)
class BatchResult:
    number: str
    outcome: str  # DONE, REFUSED or CONFLICT
    message: str = ""

    @property
    def done(self) -> bool:
        return self.outcome == DONE

    def line(self) -> str:
        if self.done:
            return f"{self.number}：{gettext('已完成')}"
        return f"{self.number}：{gettext('未执行')}（{self.message}）"


def batch_actions(user: Any) -> list[str]:
    """The bulk actions this user's role may take at all (each case still asks the table)."""
    return [a for a in BATCH_PARAMS if may(user, MACHINE[a].capability or "")]


def parse_selection(values: Iterable[str]) -> Selection:
    """`<id>:<version>` per ticked row; ValueError naming the first bad one."""
    out: Selection = []
    for value in values:
        pk_text, _sep, version_text = str(value).partition(":")
        pk, version = as_id(pk_text), as_id(version_text)
        if pk is None or version is None:
            raise ValueError(value)
        out.append((pk, version))
    return list(dict.fromkeys(out))


def run_batch(
    user: Any,
    action: str,
    selection: Selection,
    params: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> list[BatchResult]:
    """Run `action` on every selected case as `user`; one result per case, in order."""
    numbers = dict(
        Case.objects.restrict(user, Action.VIEW)
        .filter(pk__in=[pk for pk, _v in selection])
        .values_list("pk", "number")
    )
    results: list[BatchResult] = []
    for done, (pk, version) in enumerate(selection, 1):
        number = numbers.get(pk)
        if number is None:
            results.append(BatchResult(f"#{pk}", REFUSED, gettext("工单不存在或不在你的管辖范围内")))
        else:
            try:
                actions.run_action(pk, action, user, {**params, "version": version})
            except Conflict as exc:
                results.append(BatchResult(number, CONFLICT, exc.message))
            except CaseError as exc:
                results.append(BatchResult(number, REFUSED, exc.message))
            else:
                results.append(BatchResult(number, DONE))
        if progress is not None:
            progress(done)
    return results


class SelectionField(forms.MultipleChoiceField):
    """The ticked rows, `<id>:<version>` each."""

    def valid_value(self, value: Any) -> bool:
        return True

    def clean(self, value: Any) -> Selection:
        values = super().clean(value)
        try:
            selection = parse_selection(values)
        except ValueError as exc:
            message = _("选择的工单“%(value)s”无效")
            raise forms.ValidationError(message, params={"value": exc.args[0]}) from None
        if len(selection) > MAX_SELECTION:
            raise forms.ValidationError(_("一次最多处理 %(max)s 件工单"), params={"max": MAX_SELECTION})
        return selection


class BatchForm(forms.Form):
    """The bulk bar under the workbench's list. The unit fields are the dispatch action's
    parameters (DISPATCH_PARAMS), so they are the case page's inputs."""

    cases = SelectionField(
        label=_("工单"), widget=forms.MultipleHiddenInput, error_messages={"required": _("请先勾选工单")}
    )
    action = forms.ChoiceField(label=_("批量操作"))
    note = forms.CharField(
        label=_("意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("立案说明、派遣意见或督办意见")}),
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        allowed = batch_actions(user)
        self.fields["action"].choices = [(a, CaseAction(a).label) for a in allowed]  # type: ignore[attr-defined]
        self.may_dispatch = CaseAction.DISPATCH in allowed
        for param in DISPATCH_PARAMS if self.may_dispatch else ():
            if param.name != "note":
                field = param.form_field(None, user)
                field.required = False
                self.fields[param.name] = field
        if self.may_dispatch:
            self.fields["lead_unit"].help_text = _("派遣时留空则按职责表")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action:
            for param in MACHINE[action].params:
                if param.name in BATCH_PARAMS[action] and param.required and not data.get(param.name):
                    self.add_error(param.name, param.missing().message)
        return data

    def params(self) -> dict[str, Any]:
        """The parameters of the chosen action, as the action takes them (ids)."""
        action = self.cleaned_data["action"]
        declared = {p.name: p for p in MACHINE[action].params}
        return {
            name: declared[name].form_value(self.cleaned_data[name])
            for name in BATCH_PARAMS[action]
            if self.cleaned_data.get(name) not in (None, "", [])
        }
