"""(part evaluations: its pages land here.)"""

urlpatterns: list = []
