from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "civicgrid.profiles"
    label = "profiles"
    verbose_name = "街道配置"

    def ready(self) -> None:
        from civicgrid.core import profile

        from .store import layers

        profile.use_store(layers)
