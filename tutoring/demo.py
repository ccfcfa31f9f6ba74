"""A demo school to try every page: an admin, a teacher, a class of real ASSISTments students.

The students and their records come from the ASSISTments 2009 import (the test
split is imported if no ASSISTments students exist yet); the items, hints,
feedback for common mistakes and readings come from the project's own seed
templates (edursft.seed). Every step looks before it writes, so running it
again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from edursft.criteria import SpecError, load_spec
from edursft.seed import expand_seed, seed_skill_descriptions, seed_skills
from tutoring import mastery
from tutoring.models import Classroom, CriteriaSet, Item, Profile, Role, Skill
from tutoring.recommendations import refresh_recommendations
from tutoring.record_import import import_dkvmn

CLASS_NAME = "Demo class 7B"
CLASS_SIZE = 30
ADMIN = ("admin", "demo-admin-pass")
TEACHER = ("teacher", "demo-teacher-pass")
STUDENT_PASSWORD = "demo-student-pass"
# The level of a seed exercise as the share of students expected to answer it (item difficulty).
LEVEL_DIFFICULTY = {1: 0.8, 2: 0.65, 3: 0.5}
DATASET = "assist2009"


@dataclass(frozen=True)
class DemoSummary:
    admin: str
    teacher: str
    students: list[str]
    items_created: int
    criteria_created: int


def _account(username: str, password: str, role: str, display_name: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(password)
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
    user.save()
    Profile.objects.get_or_create(user=user, defaults={"role": role, "display_name": display_name})
    return user


def _assistments_students(data_dir: Path) -> list[int]:
    """User ids of imported ASSISTments students, importing the test split if there are none."""
    imported = Profile.objects.filter(external_id__startswith=f"dkvmn:{DATASET}_updated_", role=Role.STUDENT)
    if not imported.exists():
        folder = data_dir / DATASET
        import_dkvmn(
            folder / "assist2009_updated_test.csv",
            folder / "assist2009_updated_skill_mapping.txt",
            dataset=DATASET,
        )
    return list(imported.order_by("external_id").values_list("user_id", flat=True)[:CLASS_SIZE])


def _class(teacher, student_ids: list[int]) -> list[str]:
    """The demo class; its imported students get short usernames and a known password."""
    room, _ = Classroom.objects.get_or_create(name=CLASS_NAME)
    room.teachers.add(teacher)
    User = get_user_model()
    names = []
    for number, user in enumerate(
        User.objects.filter(pk__in=student_ids).order_by("profile__external_id"), start=1
    ):
        wanted = f"student{number:02d}"
        if user.username != wanted and not User.objects.filter(username=wanted).exists():
            user.username = wanted
            user.set_password(STUDENT_PASSWORD)
            user.save(update_fields=["username", "password"])
        names.append(user.username)
    room.students.add(*student_ids)
    return names


def _skill(skill_id: int, name: str, description: str) -> Skill:
    """The seed skill, created or found; a skill without a description gets the seed's
    (a teacher's own description is kept)."""
    external = f"{DATASET}:{skill_id}"
    skill = Skill.objects.filter(external_id=external).first()
    if skill is None:
        skill, _ = Skill.objects.get_or_create(name=name, defaults={"external_id": external})
    if not skill.description:
        skill.description = description
        skill.save(update_fields=["description"])
    return skill


def _seed_items(teacher, per_template: int) -> int:
    """Exercises with hints and worked solutions, approved feedback for their common mistakes, readings."""
    created = 0
    descriptions = seed_skill_descriptions()
    skills = {
        skill_id: _skill(skill_id, name, descriptions[name]) for skill_id, name in seed_skills().items()
    }
    counters: dict[tuple[int, int], int] = {}
    for exercise in expand_seed(per_template=per_template, seed=0):
        key = (exercise.skill_id, exercise.level)
        counters[key] = counters.get(key, 0) + 1
        ref = f"seed:{exercise.skill_id}:{exercise.level}:{counters[key]}"
        item, made = Item.objects.get_or_create(
            source=Item.Source.AUTHORED,
            source_ref=ref,
            defaults={
                "kind": Item.Kind.EXERCISE,
                "title": f"{exercise.skill} (level {exercise.level})",
                "text": exercise.problem,
                "answer": exercise.answer,
                "hints": [{"type": "hint", "text": exercise.hint}],
                "solution": exercise.solution,
                "difficulty": LEVEL_DIFFICULTY[exercise.level],
                "created_by": teacher,
                "license": "EduRSFT seed content",
                "attribution": "Written for EduRSFT (edursft/seed).",
            },
        )
        if not made:
            continue
        created += 1
        item.skills.add(skills[exercise.skill_id])
        for number, mistake in enumerate(exercise.mistakes, start=1):
            feedback = Item.objects.create(
                kind=Item.Kind.FEEDBACK,
                source=Item.Source.AUTHORED,
                source_ref=f"{ref}:feedback:{number}",
                text=mistake.feedback,
                target_item=item,
                mistake=mistake.wrong_answer,
                created_by=teacher,
            )
            feedback.skills.add(skills[exercise.skill_id])
            created += 1
        if exercise.level == 1 and counters[key] == 1:
            reading, made_reading = Item.objects.get_or_create(
                source=Item.Source.AUTHORED,
                source_ref=f"seed:{exercise.skill_id}:reading",
                defaults={
                    "kind": Item.Kind.READING,
                    "title": f"How to solve: {exercise.skill}",
                    "text": f"{exercise.hint}\n\nWorked example: {exercise.problem}\n\n{exercise.solution}",
                    "created_by": teacher,
                    "license": "EduRSFT seed content",
                },
            )
            if made_reading:
                reading.skills.add(skills[exercise.skill_id])
                created += 1
    return created


DEMO_GENERATION_SKILLS = 4  # skills the demo's exercise criteria generate for: a retraining stays minutes


def _criteria(teacher, room: Classroom, folder: Path) -> int:
    """Criteria sets from the example specs; exercise sets target a few seed skills to generate for."""
    created = 0
    targets = list(Skill.objects.filter(name__in=list(seed_skills().values())[:DEMO_GENERATION_SKILLS]))
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            spec = load_spec(path)
        except SpecError:
            continue  # a companion file (e.g. skill descriptions), not a criteria specification
        criteria, made = CriteriaSet.objects.get_or_create(
            name=path.stem.replace("_", " ").replace("-", " ").capitalize(),
            owner=teacher,
            defaults={"classroom": room, "spec": json.loads(path.read_text())},
        )
        if made and spec.kind == "exercise":
            criteria.skills.add(*targets)
        created += made
    return created


def seed_demo(per_template: int = 2) -> DemoSummary:
    """Create (or find) the demo school and bring the class's mastery and recommendations up to date."""
    data_dir = Path(settings.EDURSFT_DATA_DIR)
    student_ids = _assistments_students(data_dir)
    with transaction.atomic():
        admin = _account(*ADMIN, Role.ADMIN, "School admin")
        teacher = _account(*TEACHER, Role.TEACHER, "Ms Demo")
        students = _class(teacher, student_ids)
        items_created = _seed_items(teacher, per_template)
        room = Classroom.objects.get(name=CLASS_NAME)
        criteria_created = _criteria(teacher, room, Path(settings.BASE_DIR) / "examples" / "criteria")
    mastery.recompute_all(student_ids)
    refresh_recommendations(student_ids)
    return DemoSummary(admin.username, teacher.username, students, items_created, criteria_created)
