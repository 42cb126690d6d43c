"""The web form of an action, built from its declaration in the transition table
(core.workflow.Transition.params): the same parameters as the API schema and the validation."""

from typing import Any

from django import forms

from .workflow import Transition


class ActionForm(forms.Form):
    """Carries the object's `version` (hidden) and where to go afterwards; its `params()` are
    what the action function takes. The action decides what is valid; the form gives the
    browser good inputs."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    # Where to go afterwards (the mobile list posts here too); checked by the view.
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, obj: Any, user: Any, transition: Transition, **kwargs: Any) -> None:
        self.obj, self.user, self.transition = obj, user, transition
        self.danger, self.primary = transition.danger, transition.primary
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("version", obj.version)
        for param in transition.params:
            if param.initial is not None:
                initial.setdefault(param.name, param.initial(obj, user))
        super().__init__(*args, **kwargs)
        for param in transition.params:
            self.fields[param.name] = param.form_field(obj, user)

    def params(self) -> dict[str, Any]:
        """The action's parameters: empty optional values are left to the action's defaults."""
        out: dict[str, Any] = {}
        for param in self.transition.params:
            value = self.cleaned_data.get(param.name)
            if value in (None, "", []):
                continue
            out[param.name] = param.form_value(value)
        return out
