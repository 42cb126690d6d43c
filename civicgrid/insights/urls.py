"""The pages of insights, mounted at the site's root (civicgrid/urls.py): the dashboard at
/dashboard/, the rest under /insights/. One urlpatterns list per part (views/*.py)."""

from .views import dashboard, maps, plans, reports, rootcauses

app_name = "insights"

urlpatterns = [
    *dashboard.urlpatterns,
    *maps.urlpatterns,
    *rootcauses.urlpatterns,
    *plans.urlpatterns,
    *reports.urlpatterns,
]
