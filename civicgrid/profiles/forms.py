from dataclasses import dataclass
from typing import Any

from django import forms

from civicgrid.core import profile
from civicgrid.core.profile import LAYER_LABELS, Limits, Profile, Setting


@dataclass
class Row:
    """One setting on the page: its fields, the value in force and what it would inherit."""

    setting: Setting
    fields: list[forms.BoundField]
    overridden: bool
    value: str
    inherited: str
    inherited_from: Any


class ProfileForm(forms.Form):
    """One field per setting (a Limits setting: one per part). Empty means "inherit"; the
    fields start from the area's own overrides, their placeholders show what it inherits.
    The values are checked again by profiles.actions."""

    def __init__(self, *args: Any, conf: Profile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = conf.parent
        self.rows: list[Row] = []
        for setting in profile.all_settings():
            key, kind = setting.key, setting.kind
            own, inherited = conf.own.get(key), parent[key]
            names = []
            for part, field in kind.form_fields(setting.label, setting.help).items():
                name = f"{key}.{part}" if part else key
                if part:
                    field.initial = (own or {}).get(part)
                    field.widget.attrs["placeholder"] = inherited.get(part, "")
                else:
                    field.initial = kind.initial(own)
                    field.widget.attrs["placeholder"] = kind.show(inherited)
                self.fields[name] = field
                names.append(name)
            self.rows.append(
                Row(
                    setting=setting,
                    fields=[self[name] for name in names],
                    overridden=key in conf.own,
                    value=kind.show(conf[key]),
                    inherited=kind.show(inherited),
                    inherited_from=LAYER_LABELS.get(parent.source(key), parent.source(key)),
                )
            )

    def overrides(self) -> dict[str, Any]:
        """The settings given a value (cleaned_data), by key."""
        out: dict[str, Any] = {}
        for setting in profile.all_settings():
            if isinstance(setting.kind, Limits):
                parts = {
                    part: self.cleaned_data[f"{setting.key}.{part}"]
                    for part, _label in setting.kind.parts
                    if self.cleaned_data.get(f"{setting.key}.{part}") not in (None, "")
                }
                if parts:
                    out[setting.key] = parts
            elif self.cleaned_data.get(setting.key) not in (None, ""):
                out[setting.key] = self.cleaned_data[setting.key]
        return out

    def field_of(self, key: str) -> str | None:
        """The field that shows errors of setting `key` (a Limits setting: its first part)."""
        return next((row.fields[0].name for row in self.rows if row.setting.key == key), None)
