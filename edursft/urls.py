"""Top-level URL map: each app owns its own routes."""

from django.contrib import admin
from django.urls import include, path

from tutoring.openapi import openapi_json

urlpatterns = [
    path("admin/", admin.site.urls),
    path("xapi/", include("tutoring.xapi.urls")),
    path("api/openapi.json", openapi_json, name="openapi"),
    path("dashboards/", include("analytics.urls")),
    path("", include("tutoring.urls")),
]
