"""The pages of community under /community/. One urlpatterns list per part (views/*.py)."""

from .views import activities, newsletter, overview, service, volunteers

app_name = "community"

urlpatterns = [
    *overview.urlpatterns,
    *activities.urlpatterns,
    *volunteers.urlpatterns,
    *service.urlpatterns,
    *newsletter.urlpatterns,
]
