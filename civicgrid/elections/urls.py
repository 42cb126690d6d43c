"""The pages of elections under /elections/. One urlpatterns list per part (views/*.py)."""

from .views import ballots, rounds, statistics, voters

app_name = "elections"

urlpatterns = [
    *rounds.urlpatterns,
    *voters.urlpatterns,
    *ballots.urlpatterns,
    *statistics.urlpatterns,
]
