"""Teachers' pages: classes, their own resources, the review queue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tutoring.models import AuditEvent, Classroom, Item

pytestmark = pytest.mark.django_db


def test_a_teacher_sees_only_the_classes_they_teach(client, school):
    client.force_login(school.tina)
    page = client.get(reverse("teacher-classes")).content.decode()
    assert "Class A" in page and "Class B" not in page


def test_a_teacher_without_classes_is_told_who_adds_them(client, school):
    school.class_a.teachers.clear()
    client.force_login(school.tina)
    page = client.get(reverse("teacher-classes")).content.decode()
    assert "You teach no class yet. A school admin adds you to a class." in page


def test_an_admin_of_a_school_without_classes_is_pointed_to_where_classes_are_made(client, school):
    Classroom.objects.all().delete()
    client.force_login(school.admin)
    page = client.get(reverse("teacher-classes")).content.decode()
    assert "There are no classes yet." in page and "You teach no class" not in page


def test_a_student_without_mastery_is_described_to_the_teacher_not_addressed(client, school):
    client.force_login(school.tina)
    page = client.get(reverse("teacher-student", args=[school.class_a.pk, school.sue.pk])).content.decode()
    assert "No mastery estimates yet: sue has not answered an exercise." in page
    assert "answer an exercise to start" not in page


def test_a_class_page_lists_its_students(client, school):
    client.force_login(school.tina)
    page = client.get(reverse("teacher-classroom", args=[school.class_a.pk])).content.decode()
    assert "sam" in page and "sue" in page and "bea" not in page


def test_a_teacher_adds_an_exercise_tagged_with_skills_and_students_can_open_it(client, school):
    client.force_login(school.tina)
    response = client.post(
        reverse("teacher-item-new"),
        {
            "kind": "exercise",
            "title": "Halves",
            "text": "What is half of 18?",
            "answer": "9",
            "answer_type": "math",
            "skills": [school.fractions.pk],
            "hints_text": "Divide by two.\nSplit 18 into two equal parts.",
        },
    )
    assert response.status_code == 302
    item = Item.objects.get(title="Halves")
    assert item.created_by == school.tina and item.status == Item.Status.APPROVED
    assert list(item.skills.all()) == [school.fractions]
    assert [h["text"] for h in item.hints] == ["Divide by two.", "Split 18 into two equal parts."]
    assert AuditEvent.objects.filter(action="item.create", actor=school.tina).exists()
    client.force_login(school.sam)
    assert client.get(reverse("student-item", args=[item.pk])).status_code == 200


def test_an_exercise_without_an_answer_is_refused_at_the_answer_field(client, school):
    client.force_login(school.tina)
    response = client.post(
        reverse("teacher-item-new"),
        {
            "kind": "exercise",
            "title": "No answer",
            "text": "?",
            "answer_type": "math",
            "skills": [school.fractions.pk],
        },
    )
    assert response.status_code == 200
    assert "An exercise needs an expected answer." in response.content.decode()
    assert not Item.objects.filter(title="No answer").exists()


def _new_exercise(client, school, **fields):
    data = {
        "kind": "exercise",
        "title": "Pick",
        "text": "Which is even?",
        "answer": "4",
        "answer_type": "math",
    }
    return client.post(reverse("teacher-item-new"), {**data, "skills": [school.fractions.pk], **fields})


def test_a_difficulty_outside_0_to_1_is_refused_at_its_field(client, school):
    client.force_login(school.tina)
    page = _new_exercise(client, school, difficulty="5").content.decode()
    assert (
        '<div id="id_difficulty_error"><p class="error">Ensure this value is less than or equal to 1.' in page
    )
    assert not Item.objects.filter(title="Pick").exists()


def test_a_multiple_choice_exercise_needs_its_choices_with_the_answer_among_them(client, school):
    client.force_login(school.tina)
    page = _new_exercise(client, school, answer_type="choice").content.decode()
    assert "A multiple-choice exercise needs at least two choices." in page
    page = _new_exercise(client, school, answer_type="choice", choices_text="3\n5").content.decode()
    assert "The expected answer must be one of the choices." in page
    assert not Item.objects.filter(title="Pick").exists()
    _new_exercise(client, school, answer_type="choice", choices_text="3\n4\n5\n")
    item = Item.objects.get(title="Pick")
    assert item.choices == ["3", "4", "5"]
    client.force_login(school.sam)
    page = client.get(reverse("student-item", args=[item.pk])).content.decode()
    assert '<label for="choice-2">4</label>' in page


def test_an_admin_retitling_an_imported_exercise_keeps_its_scaffolds(client, school):
    scaffold = {
        "type": "scaffold",
        "title": "Common denominator",
        "text": "What is 3/4 in eighths?",
        "answer": "6/8",
    }
    school.exercise.hints = [scaffold, "Add the numerators."]
    school.exercise.save()
    client.force_login(school.admin)
    form = client.get(reverse("teacher-item-edit", args=[school.exercise.pk])).context["form"]
    data = {name: form[name].value() for name in ("kind", "title", "text", "answer", "answer_type")}
    client.post(
        reverse("teacher-item-edit", args=[school.exercise.pk]),
        {
            **data,
            "title": "Adding fractions (8ths)",
            "skills": [school.fractions.pk],
            "hints_text": form["hints_text"].value().replace("\n", "\r\n"),
        },
    )
    school.exercise.refresh_from_db()
    assert school.exercise.title == "Adding fractions (8ths)"
    assert school.exercise.hints == [scaffold, "Add the numerators."]


def test_an_admin_retitling_an_imported_multiple_choice_exercise_keeps_its_choices(client, school):
    choices = ["$$x=1$$ and\n$$y=2$$", "$$x=2$$"]
    item = Item.objects.create(
        kind="exercise",
        title="System",
        text="Solve.",
        answer=choices[0],
        answer_type="choice",
        choices=choices,
    )
    client.force_login(school.admin)
    form = client.get(reverse("teacher-item-edit", args=[item.pk])).context["form"]
    data = {
        name: form[name].value() or "" for name in ("kind", "text", "answer", "answer_type", "choices_text")
    }
    response = client.post(
        reverse("teacher-item-edit", args=[item.pk]),
        {**data, "title": "Systems", "skills": [school.fractions.pk]},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "Systems" and item.choices == choices


def test_editing_the_hints_replaces_them_line_by_line(client, school):
    client.force_login(school.tina)
    client.post(
        reverse("teacher-item-edit", args=[school.reading.pk]),
        {
            "kind": "reading",
            "title": "P",
            "text": "A percent.",
            "answer_type": "math",
            "skills": [school.percents.pk],
            "hints_text": "One.\nTwo.",
        },
    )
    school.reading.refresh_from_db()
    assert [h["text"] for h in school.reading.hints] == ["One.", "Two."]


def test_editing_a_resource_is_audited(client, school):
    client.force_login(school.tina)
    client.post(
        reverse("teacher-item-edit", args=[school.reading.pk]),
        {
            "kind": "reading",
            "title": "Percents, explained again",
            "text": "Per cent: of a hundred.",
            "answer_type": "math",
            "skills": [school.percents.pk],
        },
    )
    school.reading.refresh_from_db()
    assert school.reading.title == "Percents, explained again"
    assert AuditEvent.objects.get(action="item.edit").details["fields"]


def test_the_review_queue_lists_only_accepted_items_of_the_teachers_criteria(client, school):
    client.force_login(school.tina)
    page = client.get(reverse("teacher-review")).content.decode()
    assert "What is 1/2 + 1/4?" in page and "What is 10% of 50?" not in page


def test_the_item_bank_shows_another_teachers_generated_items_only_once_approved(client, school):
    def bank(user) -> str:
        client.force_login(user)
        return client.get(reverse("teacher-items")).content.decode()

    assert "Generated fractions" in bank(school.tina)  # hers to review
    assert "Generated fractions" not in bank(school.tom)  # Tina's criteria, not reviewed yet
    assert "Generated fractions" in bank(school.admin)
    school.pending.status = Item.Status.APPROVED
    school.pending.save()
    assert "Generated fractions" in bank(school.tom)
    assert "Percents explained" in bank(school.tom)  # authored by Tina: in the shared bank from the start


def test_approving_releases_an_item_to_students_and_is_audited(client, school):
    client.force_login(school.sam)
    assert client.get(reverse("student-item", args=[school.pending.pk])).status_code == 404
    client.force_login(school.tina)
    client.post(reverse("teacher-review-decide", args=[school.pending.pk]), {"action": "approve"})
    school.pending.refresh_from_db()
    assert school.pending.status == Item.Status.APPROVED and school.pending.reviewed_by == school.tina
    assert AuditEvent.objects.filter(action="item.approve", details__item_id=school.pending.pk).exists()
    client.force_login(school.sam)
    assert client.get(reverse("student-item", args=[school.pending.pk])).status_code == 200


def test_rejecting_needs_a_reason(client, school):
    client.force_login(school.tina)
    response = client.post(reverse("teacher-review-decide", args=[school.pending.pk]), {"action": "reject"})
    assert response.status_code == 400
    school.pending.refresh_from_db()
    assert school.pending.status == Item.Status.ACCEPTED


def test_a_rejection_keeps_its_reason_and_is_audited(client, school):
    client.force_login(school.tina)
    client.post(
        reverse("teacher-review-decide", args=[school.pending.pk]),
        {"action": "reject", "reason": "Too easy for this class"},
    )
    school.pending.refresh_from_db()
    assert school.pending.status == Item.Status.REJECTED
    assert school.pending.review_note == "Too easy for this class"
    assert AuditEvent.objects.get(action="item.reject").details["reason"] == "Too easy for this class"


def test_bulk_approval_decides_every_selected_item(client, school):
    second = Item.objects.create(
        text="What is 2/3 of 9?",
        answer="6",
        status=Item.Status.ACCEPTED,
        source=Item.Source.GENERATED,
        criteria=school.criteria_a,
    )
    client.force_login(school.tina)
    client.post(reverse("teacher-review"), {"action": "approve", "items": [school.pending.pk, second.pk]})
    assert set(
        Item.objects.filter(pk__in=[school.pending.pk, second.pk]).values_list("status", flat=True)
    ) == {Item.Status.APPROVED}
    assert AuditEvent.objects.filter(action="item.approve").count() == 2


def test_an_item_decided_meanwhile_by_another_reviewer_is_named_not_reported_as_unchosen(client, school):
    client.force_login(school.tina)
    client.post(reverse("teacher-review"), {"action": "approve", "items": [school.pending.pk]})
    page = client.post(
        reverse("teacher-review"), {"action": "reject", "reason": "x", "items": [school.pending.pk]}
    )
    text = page.content.decode()
    assert f"Item {school.pending.pk} is no longer awaiting your review" in text
    assert "Choose at least one item." not in text
    school.pending.refresh_from_db()
    assert school.pending.status == Item.Status.APPROVED


def test_a_tampered_item_id_of_twenty_digits_is_an_unknown_item_not_a_server_error(client, school):
    client.force_login(school.tina)
    page = client.post(reverse("teacher-review"), {"action": "approve", "items": ["9" * 20]})
    assert page.status_code == 200
    assert f"Item {'9' * 20} is no longer awaiting your review" in page.content.decode()


def test_a_bulk_decision_without_items_asks_for_one(client, school):
    client.force_login(school.tina)
    page = client.post(reverse("teacher-review"), {"action": "approve"}).content.decode()
    assert "Choose at least one item." in page


def test_a_reviewer_edit_is_saved_and_audited(client, school):
    client.force_login(school.tina)
    client.post(
        reverse("teacher-review-item", args=[school.pending.pk]),
        {"title": "Quarters", "text": "What is 1/2 + 1/4? Give a fraction.", "answer": "3/4", "solution": ""},
    )
    school.pending.refresh_from_db()
    assert school.pending.text.endswith("Give a fraction.")
    assert school.pending.status == Item.Status.ACCEPTED
    assert "text" in AuditEvent.objects.get(action="item.edit").details["fields"]


def test_a_teacher_sees_a_students_progress_with_its_data_table(client, school):
    from tutoring.learning import record_attempt

    record_attempt(school.sam, school.exercise, "7/8")
    client.force_login(school.tina)
    page = client.get(reverse("teacher-student", args=[school.class_a.pk, school.sam.pk])).content.decode()
    assert 'id="mastery-history"' in page and "Equivalent Fractions" in page


def test_every_field_of_the_resource_form_has_a_label(client, school):
    client.force_login(school.tina)
    page = client.get(reverse("teacher-item-new")).content.decode()
    for name in [
        "kind",
        "title",
        "text",
        "url",
        "answer",
        "answer_type",
        "skills",
        "difficulty",
        "hints_text",
    ]:
        assert f'<label for="id_{name}">' in page, name
