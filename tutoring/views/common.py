"""Pages every signed-in person shares, and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tutoring.models import Role
from tutoring.permissions import role_of
from tutoring.views import student


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's start page: students their recommendations, staff their classes and tools."""
    if role_of(request.user) == Role.STUDENT:
        return student.home(request)
    return render(request, "tutoring/home.html", {"role": role_of(request.user)})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
