from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "civicgrid.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import audit, lookups, workdays  # noqa: F401  (workdays connects holiday-cache signals)

        audit.connect_signals()
        # Each app's capabilities.py declares its capabilities (core.capabilities), and its
        # workflow.py its machine (core.workflow.machines: webhooks lists their actions).
        autodiscover_modules("capabilities")
        # Each app's jobs.py registers its background job kinds (core.jobs).
        autodiscover_modules("jobs")
        # Each app's profile_settings.py declares what a street sets for itself (core.profile).
        autodiscover_modules("profile_settings")
        autodiscover_modules("workflow")
