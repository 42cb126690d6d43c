"""(part welfare: its pages land here.)"""

urlpatterns: list = []
