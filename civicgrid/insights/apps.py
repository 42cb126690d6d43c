from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "civicgrid.insights"
    label = "insights"
    verbose_name = "统计分析"
