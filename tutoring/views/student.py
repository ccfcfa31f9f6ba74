"""Students' pages: recommendations, exercises with feedback, progress."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from tutoring import learning, selectors
from tutoring.forms import AnswerForm
from tutoring.permissions import student_required, visible_to_students
from tutoring.recommendations import refresh_recommendations


@student_required
def home(request: HttpRequest) -> HttpResponse:
    """Recommended items with the reason for each, recomputed only when the list is stale."""
    if selectors.recommendations_stale(request.user):
        refresh_recommendations([request.user.pk])
    recommendations = selectors.recommendations_for(request.user)
    context = {
        "recommendations": recommendations,
        "bank_is_empty": not recommendations and not selectors.has_practice_items(),
    }
    return render(request, "tutoring/student/home.html", context)


@student_required
def item(request: HttpRequest, pk: int) -> HttpResponse:
    """An approved item; for an exercise, answering it is checked, recorded and answered with feedback."""
    shown = get_object_or_404(visible_to_students().prefetch_related("skills"), pk=pk)
    result = None
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and shown.kind == shown.Kind.EXERCISE and form.is_valid():
        result = learning.record_attempt(request.user, shown, form.cleaned_data["response"])
        if result.correct:
            form = AnswerForm()
    context = {
        "item": shown,
        "form": form,
        "result": result,
        "attempts": selectors.attempts_on(request.user, shown)[:10],
    }
    return render(request, "tutoring/student/item.html", context, status=200)


@student_required
def progress(request: HttpRequest) -> HttpResponse:
    """Mastery per skill now and over time (chart with its data table beneath)."""
    return render(
        request, "tutoring/student/progress.html", {"progress": selectors.progress_of(request.user)}
    )
