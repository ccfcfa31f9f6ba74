"""Students' data rights: export everything as JSON, erase on an admin's request."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from tests.factories import ItemFactory, SkillFactory, school_admin, student
from tests.fixtures.reliability import answer_statement
from tutoring.data_rights import erase_student, export_student
from tutoring.models import (
    AuditEvent,
    Item,
    LearningRecord,
    Mastery,
    Profile,
    Recommendation,
    Statement,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(post_statements):
    """A student known through xAPI statements, with mastery and a recommendation."""
    item = ItemFactory(skills=[SkillFactory(name="Fractions")])
    assert (
        post_statements([answer_statement(item.pk, "ada@example.org") for _ in range(3)]).status_code == 200
    )
    assert post_statements(answer_statement(item.pk, "bob@example.org")).status_code == 200
    user = Profile.objects.get(external_id="xapi:mailto:ada@example.org").user
    Mastery.objects.create(student=user, skill=item.skills.get(), value=0.7, attempts=3)
    Recommendation.objects.create(
        student=user, item=item, rank=1, score=0.8, reason="Practise fractions next"
    )
    return user


def test_export_holds_every_kind_of_data_about_the_student(ada):
    data = export_student(ada, school_admin())
    assert data["account"]["username"] == ada.username
    assert len(data["learning_records"]) == 3
    assert len(data["statements"]) == 3
    assert {s["actor"]["mbox"] for s in data["statements"]} == {"mailto:ada@example.org"}
    assert data["mastery"][0]["skill__name"] == "Fractions"
    assert data["recommendations"][0]["reason"] == "Practise fractions next"
    json.dumps(data)  # ready for download as it is


def test_export_is_written_to_the_audit_log_with_who_exported(ada):
    admin = school_admin(user__username="head")
    export_student(ada, admin)
    event = AuditEvent.objects.get(action="student.exported")
    assert (event.actor_name, event.target) == ("head", f"user #{ada.pk}")


def test_erasure_removes_the_student_their_statements_records_mastery_and_recommendations(ada):
    bob_statements = Statement.objects.exclude(actor_key="mailto:ada@example.org").count()
    erased = erase_student(ada, school_admin())
    assert erased.statements == 3 and erased.learning_records == 3
    assert not get_user_model().objects.filter(pk=ada.pk).exists()
    assert not Statement.objects.filter(actor_key="mailto:ada@example.org").exists()
    assert not LearningRecord.objects.filter(student_id=ada.pk).exists()
    assert not Mastery.objects.filter(student_id=ada.pk).exists()
    assert not Recommendation.objects.filter(student_id=ada.pk).exists()
    assert Statement.objects.count() == bob_statements == 1
    assert Item.objects.count() == 1


def test_erasure_is_audited_without_keeping_the_erased_data(ada):
    erase_student(ada, school_admin(user__username="head"))
    event = AuditEvent.objects.get(action="student.erased")
    assert event.actor_name == "head"
    assert event.details["statements"] == 3
    assert "ada" not in json.dumps(event.details) + event.target


def test_erasure_is_all_or_nothing(ada, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("tutoring.data_rights.record_event", broken_audit)
    with pytest.raises(RuntimeError):
        erase_student(ada, school_admin())
    assert LearningRecord.objects.filter(student=ada).count() == 3
    assert Statement.objects.filter(actor_key="mailto:ada@example.org").count() == 3


def test_admin_downloads_a_students_data_as_json(client, ada):
    client.force_login(school_admin())
    response = client.post(
        "/admin/tutoring/profile/",
        {"action": "export_students", "_selected_action": [ada.profile.pk]},
    )
    assert response["Content-Type"].startswith("application/json")
    assert len(json.loads(response.content)[ada.username]["learning_records"]) == 3


def test_admin_erasure_asks_for_confirmation_then_erases(client, ada):
    client.force_login(school_admin())
    form = {"action": "erase_students", "_selected_action": [ada.profile.pk]}
    confirm = client.post("/admin/tutoring/profile/", form)
    assert b"cannot be undone" in confirm.content
    assert get_user_model().objects.filter(pk=ada.pk).exists()
    client.post("/admin/tutoring/profile/", {**form, "confirmed": "yes"})
    assert not get_user_model().objects.filter(pk=ada.pk).exists()
    assert AuditEvent.objects.filter(action="student.erased").count() == 1


def test_admin_erasure_of_several_students_is_all_or_nothing(client, ada, monkeypatch):
    bob = Profile.objects.get(external_id="xapi:mailto:bob@example.org").user
    erased = []

    def erase_then_fail(user, by):
        if erased:
            raise RuntimeError("the database went away")
        erased.append(user.username)
        return erase_student(user, by)

    monkeypatch.setattr("tutoring.admin_actions.erase_student", erase_then_fail)
    client.force_login(school_admin())
    form = {"action": "erase_students", "_selected_action": [ada.profile.pk, bob.profile.pk]}
    with pytest.raises(RuntimeError):
        client.post("/admin/tutoring/profile/", {**form, "confirmed": "yes"})
    assert len(erased) == 1  # the first student was erased, then the second failed...
    assert get_user_model().objects.filter(pk__in=[ada.pk, bob.pk]).count() == 2  # ...and it was undone
    assert not AuditEvent.objects.filter(action="student.erased").exists()


def test_admin_actions_only_touch_students(client):
    teacher_profile = Profile.objects.create(
        user=get_user_model().objects.create(username="t"), role="teacher"
    )
    client.force_login(school_admin())
    client.post(
        "/admin/tutoring/profile/",
        {"action": "erase_students", "_selected_action": [teacher_profile.pk], "confirmed": "yes"},
    )
    assert get_user_model().objects.filter(username="t").exists()
    assert student()  # students still erasable afterwards: the action did not fail half-way


def test_admin_is_told_which_selected_profiles_were_left_alone(client, ada):
    teacher_profile = Profile.objects.create(
        user=get_user_model().objects.create(username="tess"), role="teacher"
    )
    client.force_login(school_admin())
    form = {"action": "erase_students", "_selected_action": [ada.profile.pk, teacher_profile.pk]}
    confirm = client.post("/admin/tutoring/profile/", form)
    assert b"not students" in confirm.content and b"tess (Teacher)" in confirm.content
    done = client.post("/admin/tutoring/profile/", {**form, "confirmed": "yes"}, follow=True)
    assert "Not erased (not students): tess (Teacher)." in [str(m) for m in done.context["messages"]]
    assert get_user_model().objects.filter(username="tess").exists()
