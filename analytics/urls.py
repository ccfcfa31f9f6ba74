"""Routes of the dashboards."""

urlpatterns: list = []
