"""(part projects: its pages land here.)"""

urlpatterns: list = []
