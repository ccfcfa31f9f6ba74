"""Routes of the dashboards (included at /dashboards/)."""

from django.urls import path
from django.views.generic import RedirectView

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="analytics:outcomes"), name="index"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("teaching/", views.teaching, name="teaching"),
    path("generation/", views.generation, name="generation"),
]
