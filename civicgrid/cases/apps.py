from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = "工单"

    def ready(self) -> None:
        from civicgrid.core import attachments, notifications, personal

        from .choices import NotificationKind, PhotoStage
        from .models import Case

        # A case takes photos before/after handling; its photos are seen by whoever sees it.
        attachments.accept(Case, stages=PhotoStage)
        notifications.register_kinds(NotificationKind)
        # Residents type phones, ID numbers and plates into it (core.redact masks them).
        personal.register_redacted(Case, "description", "privacy.reveal_phone")
        from civicgrid.core import events

        from . import notifications as case_notifications

        events.register(case_notifications.CONSUMER)
