"""(part proposals: its pages land here.)"""

urlpatterns: list = []
