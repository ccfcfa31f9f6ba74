"""The site's pages. Each area of the site keeps its routes in its own module."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from tutoring.views import common

urlpatterns = [
    path("", common.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health", common.health, name="health"),
    path("", include("tutoring.urls_site")),
    path("pipeline/", include("tutoring.urls_pipeline")),
]
