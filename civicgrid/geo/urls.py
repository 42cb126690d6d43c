from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("areas/", views.area_list, name="area_list"),
    path("areas/<str:code>/", views.area_detail, name="area"),
    path("areas/<str:code>/geojson", views.area_geojson, name="area_geojson"),
    path("buildings/", views.building_search, name="building_search"),
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("layers/<int:pk>/", views.layer_grid_detail, name="layer_grid"),
    path("locate/", views.locate, name="locate"),
]
