"""The registry's pages, one module per family; each keeps its own `urlpatterns`."""
