from django.urls import path

from tutoring.xapi import views

urlpatterns = [
    path("statements", views.statements, name="xapi-statements"),
]
