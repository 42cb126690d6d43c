from django.apps import AppConfig
from django.utils.translation import gettext


def field_label(name: str) -> str:
    """A case field's label in the active language (its name if it is gone)."""
    from django.core.exceptions import FieldDoesNotExist

    from .models import Case

    try:
        return str(getattr(Case._meta.get_field(name.removesuffix("_id")), "verbose_name", name))
    except FieldDoesNotExist:
        return name


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = "工单"

    def ready(self) -> None:
        from civicgrid.core import attachments, messages, notifications, personal

        from .choices import AssignmentRole, Channel, NotificationKind, PhotoStage
        from .models import Case
        from .public import PUBLIC_STEPS

        # A case takes photos before/after handling; its photos are seen by whoever sees it.
        attachments.accept(Case, stages=PhotoStage)
        notifications.register_kinds(NotificationKind)
        # Residents type phones, ID numbers and plates into it (core.redact masks them).
        personal.register_redacted(Case, "description", "privacy.reveal_phone")
        # Parameters of the system's texts (notices, timeline notes) shown by their labels.
        messages.register_labels(
            channel=lambda value: Channel(value).label,
            role=lambda value: AssignmentRole(value).label,
            step=lambda value: PUBLIC_STEPS[value],
            fields=lambda names: gettext("、").join(field_label(n) for n in names),
        )
        from civicgrid.core import events

        from . import notifications as case_notifications

        events.register(case_notifications.CONSUMER)
