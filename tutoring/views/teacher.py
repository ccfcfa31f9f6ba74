"""Teachers' pages: classes, the item bank, criteria with preview, the review queue.

Every object is looked up through the user's scope (tutoring.permissions), so an
object of another teacher's class is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tutoring import criteria_editing, review, selectors
from tutoring.forms import CriteriaForm, ItemForm, ReviewDecisionForm, ReviewEditForm
from tutoring.models import Item
from tutoring.permissions import (
    classroom_or_404,
    classrooms_of,
    criteria_sets_of,
    editable_items,
    reviewable_items,
    teacher_required,
)

PAGE_SIZE = 50


@teacher_required
def classes(request: HttpRequest) -> HttpResponse:
    return render(request, "tutoring/teacher/classes.html", {"classes": selectors.classes_of(request.user)})


@teacher_required
def classroom(request: HttpRequest, pk: int) -> HttpResponse:
    room = classroom_or_404(request.user, pk)
    context = {"classroom": room, "students": selectors.class_students(room)}
    return render(request, "tutoring/teacher/classroom.html", context)


@teacher_required
def student_progress(request: HttpRequest, pk: int, student_pk: int) -> HttpResponse:
    room = classroom_or_404(request.user, pk)
    student = get_object_or_404(room.students.all(), pk=student_pk)
    context = {"classroom": room, "student": student, "progress": selectors.progress_of(student)}
    return render(request, "tutoring/teacher/student.html", context)


@teacher_required
def items(request: HttpRequest) -> HttpResponse:
    """The bank, filtered by kind, skill and words; the teacher's own items can be edited."""
    filters = {
        "kind": request.GET.get("kind", ""),
        "skill": request.GET.get("skill", "") if request.GET.get("skill", "").isdigit() else "",
        "query": request.GET.get("q", "").strip(),
        "mine": request.GET.get("mine") == "1",
    }
    page = Paginator(selectors.item_bank(request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    editable = set(
        editable_items(request.user).filter(pk__in=[i.pk for i in page]).values_list("pk", flat=True)
    )
    context = {
        "page": page,
        "filters": filters,
        "editable": editable,
        "kinds": [c for c in Item.Kind.choices if c[0] != Item.Kind.FEEDBACK],
        "skills": selectors.skill_choices(),
    }
    return render(request, "tutoring/teacher/items.html", context)


@teacher_required
def item_new(request: HttpRequest) -> HttpResponse:
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = review.create_item(request.user, form.save(commit=False), form.cleaned_data["skills"])
        messages.success(request, f"Added “{made.title or made.text[:40]}”.")
        return redirect("teacher-items")
    return render(request, "tutoring/teacher/item_form.html", {"form": form, "title": "New resource"})


@teacher_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(editable_items(request.user), pk=pk)
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        review.save_edit(
            request.user, form.save(commit=False), form.changed_data, form.cleaned_data["skills"]
        )
        messages.success(request, "Saved.")
        return redirect("teacher-items")
    return render(request, "tutoring/teacher/item_form.html", {"form": form, "title": f"Edit {item}"})


@teacher_required
def criteria_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "tutoring/teacher/criteria_list.html", {"criteria": selectors.criteria_of(request.user)}
    )


def _criteria_page(request: HttpRequest, criteria_set=None) -> HttpResponse:
    form = CriteriaForm(request.POST or None, instance=criteria_set, classrooms=classrooms_of(request.user))
    field_errors: list[criteria_editing.FieldError] = []
    preview = None
    if request.method == "POST" and form.is_valid():
        spec = form.cleaned_data["spec_text"]
        field_errors = criteria_editing.validate(spec)
        if not field_errors and "preview" in request.POST:
            preview = criteria_editing.preview(spec, list(form.cleaned_data["skills"]))
        elif not field_errors:
            saved = criteria_editing.save(
                request.user, form.save(commit=False), spec, form.cleaned_data["skills"]
            )
            messages.success(request, f"Saved criteria “{saved.name}”.")
            return redirect("teacher-criteria-edit", pk=saved.pk)
    context = {
        "form": form,
        "field_errors": field_errors,
        "preview": preview,
        "criteria_set": criteria_set,
        "available": criteria_editing.available_criteria(),
    }
    return render(request, "tutoring/teacher/criteria_form.html", context)


@teacher_required
def criteria_new(request: HttpRequest) -> HttpResponse:
    return _criteria_page(request)


@teacher_required
def criteria_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _criteria_page(request, get_object_or_404(criteria_sets_of(request.user), pk=pk))


@teacher_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Accepted generated items; approve or reject them one by one or in bulk."""
    queue = selectors.review_queue(request.user)
    form = ReviewDecisionForm(request.POST or None, queryset=queue)
    if request.method == "POST" and form.is_valid():
        chosen = queue.filter(pk__in=[i.pk for i in form.cleaned_data["items"]])
        if form.cleaned_data["action"] == "approve":
            done = review.approve(request.user, chosen)
            messages.success(request, f"Approved {done} item(s); students can now see them.")
        else:
            done = review.reject(request.user, chosen, form.cleaned_data["reason"])
            messages.success(request, f"Rejected {done} item(s).")
        return redirect("teacher-review")
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tutoring/teacher/review.html", {"page": page, "form": form})


@teacher_required
def review_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a generated item before deciding on it."""
    item = get_object_or_404(reviewable_items(request.user), pk=pk)
    form = ReviewEditForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        review.save_edit(request.user, form.save(commit=False), form.changed_data)
        messages.success(request, "Saved your edit.")
        return redirect("teacher-review-item", pk=item.pk)
    decision = ReviewDecisionForm(queryset=reviewable_items(request.user))
    return render(
        request, "tutoring/teacher/review_item.html", {"item": item, "form": form, "decision": decision}
    )


@teacher_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject one item from its own page."""
    item = get_object_or_404(reviewable_items(request.user), pk=pk)
    data = request.POST.copy()
    data.setlist("items", [str(item.pk)])
    form = ReviewDecisionForm(data, queryset=reviewable_items(request.user))
    if not form.is_valid():
        edit = ReviewEditForm(instance=item)
        return render(
            request,
            "tutoring/teacher/review_item.html",
            {"item": item, "form": edit, "decision": form},
            status=400,
        )
    chosen = reviewable_items(request.user).filter(pk=item.pk)
    if form.cleaned_data["action"] == "approve":
        review.approve(request.user, chosen)
        messages.success(request, "Approved; students can now see it.")
    else:
        review.reject(request.user, chosen, form.cleaned_data["reason"])
        messages.success(request, "Rejected.")
    return redirect("teacher-review")
