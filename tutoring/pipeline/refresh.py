"""The refresh stages: everyone's mastery, then everyone's recommendations, in batches.

The per-student work belongs to the site's services (``tutoring.mastery``,
``tutoring.recommendations``); this only walks the students in batches and
reports progress after each.
"""

from __future__ import annotations

from collections.abc import Callable

from tutoring import mastery, recommendations
from tutoring.models import LearningRecord, Profile, Role

BATCH = 500
Progress = Callable[[float, str], None]


def _batches(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


def refresh_all_mastery(progress: Progress) -> int:
    """Recompute mastery of every student with graded records; returns how many."""
    graded = LearningRecord.objects.filter(correct__isnull=False).order_by("student_id")
    ids = list(graded.values_list("student_id", flat=True).distinct())
    done = 0
    for batch in _batches(ids):
        mastery.recompute_all(batch)
        done += len(batch)
        progress(done / len(ids), f"{done} of {len(ids)} students")
    return done


def refresh_all_recommendations(progress: Progress) -> int:
    """Recompute every student's recommendations; returns how many students."""
    ids = sorted(Profile.objects.filter(role=Role.STUDENT).values_list("user_id", flat=True))
    done = 0
    for batch in _batches(ids):
        recommendations.refresh_recommendations(batch)
        done += len(batch)
        progress(done / len(ids), f"{done} of {len(ids)} students")
    return done
