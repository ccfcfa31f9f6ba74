"""The demo school: every role can sign in with the printed password; seeding twice adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from edursft.seed import seed_skill_descriptions, seed_skills
from edursft.seed.templates import TEMPLATES
from tutoring import demo
from tutoring.models import Classroom, CriteriaSet, Item, Mastery, Recommendation, Skill

pytestmark = pytest.mark.django_db

SKILLS = "13\tEquivalent Fractions\n35\tPercent Of\n"


@pytest.fixture
def small_assistments(tmp_path, settings):
    """Three students in the ASSISTments DKVMN layout, standing in for the 1,230 of the real test split."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    folder = tmp_path / "assist2009"
    folder.mkdir()
    (folder / "assist2009_updated_test.csv").write_text(
        "3\n13,13,35\n0,1,1\n2\n35,35\n1,1\n4\n13,35,13,13\n0,0,1,1\n"
    )
    (folder / "assist2009_updated_skill_mapping.txt").write_text(SKILLS)
    settings.EDURSFT_DATA_DIR = tmp_path
    return folder


def test_the_demo_prints_a_working_sign_in_for_each_role(small_assistments, client, capsys):
    call_command("seed_demo", "--per-template", "1")
    out = capsys.readouterr().out
    for username, password in (demo.ADMIN, demo.TEACHER, ("student01", demo.STUDENT_PASSWORD)):
        assert f"{username} / {password}" in out
        response = client.post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, username
        client.logout()


def test_the_demo_class_has_the_imported_students_with_mastery_and_recommendations(small_assistments):
    demo.seed_demo(per_template=1)
    room = Classroom.objects.get(name=demo.CLASS_NAME)
    students = list(room.students.values_list("username", flat=True))
    assert sorted(students) == ["student01", "student02", "student03"]
    assert room.teachers.filter(username="teacher").exists()
    assert Mastery.objects.filter(student__in=room.students.all()).exists()
    assert Recommendation.objects.filter(student__username="student01").exists()


def test_the_demo_has_exercises_with_hints_feedback_for_mistakes_and_readings(small_assistments):
    demo.seed_demo(per_template=1)
    exercises = Item.objects.filter(kind=Item.Kind.EXERCISE, source=Item.Source.AUTHORED)
    assert exercises.count() == len(TEMPLATES) * 3  # every template at every level
    assert len(seed_skills()) == 53
    assert all(item.hints for item in exercises)
    assert Item.objects.filter(kind=Item.Kind.FEEDBACK, target_item__in=exercises).exists()
    assert Item.objects.filter(kind=Item.Kind.READING).count() == 53


def test_the_demo_describes_seed_skills_and_keeps_a_teachers_description(small_assistments):
    demo.seed_demo(per_template=1)
    fractions = Skill.objects.get(name="Equivalent Fractions")
    assert fractions.description == seed_skill_descriptions()["Equivalent Fractions"]
    fractions.description = "Our class's own words for equivalent fractions."
    fractions.save()
    demo.seed_demo(per_template=1)
    fractions.refresh_from_db()
    assert fractions.description == "Our class's own words for equivalent fractions."
    assert Skill.objects.get(name="Percent Of").description == seed_skill_descriptions()["Percent Of"]


def test_seeding_twice_adds_nothing(small_assistments):
    demo.seed_demo(per_template=1)
    counts = (Item.objects.count(), Classroom.objects.count(), Recommendation.objects.count())
    again = demo.seed_demo(per_template=1)
    assert again.items_created == 0
    assert (Item.objects.count(), Classroom.objects.count(), Recommendation.objects.count()) == counts


def test_the_demo_criteria_are_real_specs_and_the_exercise_set_targets_skills(small_assistments):
    demo.seed_demo(per_template=1)
    kinds = {c.spec["kind"]: c for c in CriteriaSet.objects.all()}
    assert set(kinds) == {"exercise", "feedback"}
    assert kinds["exercise"].skills.count() == demo.DEMO_GENERATION_SKILLS
