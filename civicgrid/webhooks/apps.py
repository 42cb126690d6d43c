from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "civicgrid.webhooks"
    label = "webhooks"
    verbose_name = "Webhook 推送"

    def ready(self) -> None:
        from civicgrid.core import events

        from .delivery import CONSUMER

        events.register(CONSUMER)
