from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "civicgrid.webhooks"
    label = "webhooks"
    verbose_name = "Webhook 推送"

    def ready(self) -> None:
        from civicgrid.cases.signals import CommittedEvent, case_events_committed

        from .receivers import on_case_events

        case_events_committed.connect(
            on_case_events, sender=CommittedEvent, dispatch_uid="civicgrid-webhooks"
        )
