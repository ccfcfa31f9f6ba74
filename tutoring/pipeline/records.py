"""Learning records as the student model's histories, and the students it never trains on.

Skills are given the ids the live mastery service uses (``tutoring.mastery.
model_skill_id``: a data set's own number, else an offset database id), so a
model trained here reads the same skills the site updates. An attempt at an
item with several skills is one attempt at all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Max, Q

from edursft.studentmodel.data import StudentHistory
from tutoring.mastery import model_skill_id
from tutoring.models import Item, LearningRecord, Skill

# Multiplicative hashing (Knuth, TAOCP vol. 3, 6.4) spreads consecutive ids over buckets.
_HASH = 2654435761


@dataclass
class Histories:
    """Histories in student-id order, with the records they were built from."""

    student_ids: list[int]
    histories: list[StudentHistory]
    last_record_id: int

    @property
    def attempts(self) -> int:
        return sum(len(h) for h in self.histories)

    def subset(self, keep: np.ndarray) -> Histories:
        index = np.nonzero(keep)[0]
        return Histories(
            [self.student_ids[i] for i in index], [self.histories[i] for i in index], self.last_record_id
        )


def is_test_student(student_ids: np.ndarray, test_fraction: float) -> np.ndarray:
    """The fixed held-out students: the same ones in every run, so versions compare fairly."""
    buckets = (np.asarray(student_ids, dtype=np.uint64) * np.uint64(_HASH)) % np.uint64(1000)
    return buckets < np.uint64(round(test_fraction * 1000))


def last_record_id() -> int:
    return LearningRecord.objects.aggregate(last=Max("id"))["last"] or 0


def student_histories(*, students_with_records_after: int | None = None) -> Histories:
    """Graded histories of every student (or only of those with records after that id), in order."""
    records = LearningRecord.objects.filter(correct__isnull=False).filter(
        Q(skill__isnull=False) | Q(item__skills__isnull=False)
    )
    if students_with_records_after is not None:
        recent = LearningRecord.objects.filter(id__gt=students_with_records_after).values("student_id")
        records = records.filter(student_id__in=recent)
    rows = np.array(
        list(
            records.order_by("student_id", "finished_at", "position", "id")
            .distinct()
            .values_list("student_id", "id", "skill_id", "item_id", "correct")
        ),
        dtype=object,
    ).reshape(-1, 5)
    if not len(rows):
        return Histories([], [], last_record_id())
    # Records on items without a skill of their own take the item's skills.
    item_ids = {int(i) for i, s in zip(rows[:, 3], rows[:, 2], strict=True) if s is None and i is not None}
    item_skills: dict[int, list[int]] = {}
    for item_id, skill_id in Item.skills.through.objects.filter(item_id__in=item_ids).values_list(
        "item_id", "skill_id"
    ):
        item_skills.setdefault(item_id, []).append(skill_id)
    # A record on an item with several skills appears once per skill in the join: keep one row.
    _, first = np.unique(rows[:, 1].astype(np.int64), return_index=True)
    rows = rows[np.sort(first)]
    students = rows[:, 0].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, students[1:] != students[:-1]])
    ends = np.r_[starts[1:], len(rows)]
    responses = rows[:, 4].astype(np.int64)
    to_model = {skill.pk: model_skill_id(skill) for skill in Skill.objects.only("pk", "external_id")}
    if item_skills:
        skills = [
            [to_model[int(s)]] if s is not None else sorted(to_model[k] for k in item_skills[int(i)])
            for s, i in rows[:, 2:4]
        ]
    else:
        # One skill per attempt: a matrix mapped through a lookup array, no Python lists.
        lookup = np.zeros(max(to_model) + 1, dtype=np.int64)
        lookup[list(to_model)] = list(to_model.values())
        skills = lookup[rows[:, 2].astype(np.int64)][:, None]
    histories = [
        StudentHistory(skills=skills[start:end], responses=responses[start:end])
        for start, end in zip(starts, ends, strict=True)
    ]
    return Histories(students[starts].tolist(), histories, last_record_id())
