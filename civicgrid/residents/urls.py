from .views import exams, registry, transfer, visits

app_name = "residents"

urlpatterns = [*registry.urlpatterns, *transfer.urlpatterns, *visits.urlpatterns, *exams.urlpatterns]
