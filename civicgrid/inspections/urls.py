from .views import orders, oversight, places, plans, records, renting

app_name = "inspections"

urlpatterns = [
    *places.urlpatterns,
    *plans.urlpatterns,
    *records.urlpatterns,
    *orders.urlpatterns,
    *renting.urlpatterns,
    *oversight.urlpatterns,
]
