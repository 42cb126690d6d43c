"""The pages of inspections, one module per family; each keeps its own `urlpatterns`."""
