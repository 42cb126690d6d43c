"""The pages of programmes under /programmes/. One urlpatterns list per part (views/*.py)."""

from .views import evaluations, overview, projects, proposals, welfare

app_name = "programmes"

urlpatterns = [
    *overview.urlpatterns,
    *projects.urlpatterns,
    *welfare.urlpatterns,
    *proposals.urlpatterns,
    *evaluations.urlpatterns,
]
