from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "civicgrid.orgs"
    label = "orgs"
    verbose_name = "处置单位"
