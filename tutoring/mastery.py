"""Mastery in the database, kept current with the engine's knowledge-tracing model.

A live attempt costs one step of the active student model (edursft.studentmodel
.mastery.update_mastery) on a per-process cached state; the pipeline recomputes
everyone in batches with ``recompute_all``. Before the first student model is
trained, mastery is the Laplace-smoothed success rate of the skill's records
((correct + 1) / (attempts + 2)), so the site works on a fresh install.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from edursft.studentmodel.artifacts import StudentModel, load_student_model
from edursft.studentmodel.data import StudentHistory
from edursft.studentmodel.mastery import (
    MasteryState,
    mastery_from_histories,
    mastery_state,
    update_mastery,
)
from tutoring.models import LearningRecord, Mastery, MasterySnapshot, ModelVersion, Skill
from tutoring.torch_threads import one_torch_thread

# Skills that did not come from a numbered data set get ids far above any data set's.
LOCAL_SKILL_OFFSET = 1_000_000
_DATASET_ID = re.compile(r"^[\w.-]+:(\d+)$")
STATE_CACHE_SIZE = 512
BATCH = 256


def model_skill_id(skill: Skill) -> int:
    """The id the student model knows a skill by: the data set's number ("assist2009:19" -> 19)."""
    match = _DATASET_ID.match(skill.external_id)
    return int(match.group(1)) if match else LOCAL_SKILL_OFFSET + skill.pk


@dataclass
class _Loaded:
    version_id: int
    path: str
    model: StudentModel


_lock = threading.Lock()
_loaded: _Loaded | None = None
_states: OrderedDict[tuple[int, int], MasteryState] = OrderedDict()


def _model_path(version: ModelVersion) -> Path:
    path = Path(version.path)
    return path if path.is_absolute() else Path(settings.EDURSFT_MODEL_DIR) / path


def active_student_model() -> tuple[int, StudentModel] | None:
    """The active student model version's id and network, loaded once per process per version."""
    global _loaded
    version = (
        ModelVersion.objects.filter(kind=ModelVersion.Kind.STUDENT_MODEL, status=ModelVersion.Status.ACTIVE)
        .only("pk", "path")
        .first()
    )
    if version is None or not version.path:
        return None
    path = str(_model_path(version))
    with _lock:
        if _loaded is None or (_loaded.version_id, _loaded.path) != (version.pk, path):
            _loaded = _Loaded(version.pk, path, load_student_model(path))
            _states.clear()
        return _loaded.version_id, _loaded.model


def _records(student_ids: Iterable[int]):
    # Imported logs have no time; they come first, in their file order.
    return (
        LearningRecord.objects.filter(student_id__in=list(student_ids), correct__isnull=False)
        .order_by("student_id", F("finished_at").asc(nulls_first=True), "position", "id")
        .values_list("student_id", "skill_id", "item_id", "correct")
    )


def _item_skill_ids(item_ids: set[int]) -> dict[int, list[int]]:
    skills: dict[int, list[int]] = {}
    through = Skill.items.through.objects.filter(item_id__in=item_ids).order_by("skill_id")
    for item_id, skill_id in through.values_list("item_id", "skill_id"):
        skills.setdefault(item_id, []).append(skill_id)
    return skills


def _model_ids(skill_pks: Iterable[int]) -> dict[int, int]:
    return {s.pk: model_skill_id(s) for s in Skill.objects.filter(pk__in=set(skill_pks)).only("external_id")}


def histories(student_ids: Sequence[int]) -> dict[int, tuple[StudentHistory, set[int]]]:
    """Each student's attempts as a model history, and the skill pks they touched."""
    rows = list(_records(student_ids))
    item_skills = _item_skill_ids({r[2] for r in rows if r[2] is not None})
    to_model = _model_ids(
        {s for skills in item_skills.values() for s in skills} | {r[1] for r in rows if r[1]}
    )
    attempts: dict[int, tuple[list[list[int]], list[int], set[int]]] = {
        s: ([], [], set()) for s in student_ids
    }
    for student_id, skill_id, item_id, correct in rows:
        pks = item_skills.get(item_id) or ([skill_id] if skill_id else [])
        if not pks:
            continue
        skills, responses, touched = attempts[student_id]
        skills.append([to_model[p] for p in pks])
        responses.append(int(correct))
        touched.update(pks)
    return {s: (StudentHistory(skills=a[0], responses=a[1]), a[2]) for s, a in attempts.items()}


def student_state(student_id: int) -> tuple[StudentModel, MasteryState] | None:
    """The active model and this student's live state (replayed from records on a cache miss)."""
    loaded = active_student_model()
    if loaded is None:
        return None
    version_id, model = loaded
    n_records = LearningRecord.objects.filter(student_id=student_id, correct__isnull=False).count()
    key = (version_id, student_id)
    with _lock:
        state = _states.get(key)
        if state is not None and state.n_attempts == n_records:
            _states.move_to_end(key)
            return model, state
    history, _ = histories([student_id])[student_id]
    with one_torch_thread():
        state = mastery_state(model, history)
    _remember(key, state)
    return model, state


def _remember(key: tuple[int, int], state: MasteryState) -> None:
    with _lock:
        _states[key] = state
        _states.move_to_end(key)
        while len(_states) > STATE_CACHE_SIZE:
            _states.popitem(last=False)


def _counts(student_ids: Sequence[int], skill_pks: Sequence[int] | None = None) -> dict:
    """(student, skill) -> (attempts, correct) over graded records, counted in the database."""
    graded = LearningRecord.objects.filter(student_id__in=list(student_ids), correct__isnull=False)
    direct = graded.filter(item__isnull=True, skill__isnull=False)
    via_items = graded.filter(item__isnull=False)
    if skill_pks is not None:
        direct = direct.filter(skill_id__in=skill_pks)
        via_items = via_items.filter(item__skills__in=skill_pks)
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    for query, skill in ((direct, "skill_id"), (via_items, "item__skills")):
        rows = query.values_list("student_id", skill).annotate(
            n=Count("id"), right=Count("id", filter=Q(correct=True))
        )
        for student_id, skill_id, n, right in rows:
            if skill_id is not None:
                before = counts.get((student_id, skill_id), (0, 0))
                counts[(student_id, skill_id)] = (before[0] + n, before[1] + right)
    return counts


def _smoothed(student_id: int, skill_pks: Sequence[int]) -> dict[int, tuple[float, int]]:
    """Laplace-smoothed success rate per skill (the rule before a model exists)."""
    counts = _counts([student_id], skill_pks)
    return {pk: _laplace(*counts.get((student_id, pk), (0, 0))) for pk in skill_pks}


def _laplace(attempts: int, correct: int) -> tuple[float, int]:
    return (correct + 1) / (attempts + 2), attempts


def _write(student_id: int, values: dict[int, tuple[float, int]], at) -> None:
    """Upsert Mastery rows and append one snapshot per skill, all or nothing."""
    with transaction.atomic():
        Mastery.objects.bulk_create(
            [
                Mastery(student_id=student_id, skill_id=pk, value=min(max(v, 0.0), 1.0), attempts=n)
                for pk, (v, n) in values.items()
            ],
            update_conflicts=True,
            unique_fields=["student", "skill"],
            update_fields=["value", "attempts", "updated_at"],
        )
        MasterySnapshot.objects.bulk_create(
            [
                MasterySnapshot(student_id=student_id, skill_id=pk, value=min(max(v, 0.0), 1.0), at=at)
                for pk, (v, _) in values.items()
            ]
        )


def record_attempt(record: LearningRecord, skill_pks: Sequence[int]) -> dict[int, float]:
    """Fold one new graded record into the student's mastery of every skill it exercises."""
    skill_pks = list(dict.fromkeys(skill_pks))
    if not skill_pks or record.correct is None:
        return {}
    at = record.finished_at or timezone.now()
    attempts = dict(
        Mastery.objects.filter(student_id=record.student_id, skill_id__in=skill_pks).values_list(
            "skill_id", "attempts"
        )
    )
    loaded = active_student_model()
    if loaded is None:
        values = _smoothed(record.student_id, skill_pks)
    else:
        version_id, model = loaded
        key = (version_id, record.student_id)
        with _lock:
            state = _states.get(key)
        n_before = (
            LearningRecord.objects.filter(student_id=record.student_id, correct__isnull=False)
            .exclude(pk=record.pk)
            .count()
        )
        if state is None or state.n_attempts != n_before:
            state = student_state(record.student_id)[1]
        else:
            to_model = _model_ids(skill_pks)
            with one_torch_thread():
                update_mastery(model, state, [to_model[p] for p in skill_pks], bool(record.correct))
            _remember(key, state)
        to_model = _model_ids(skill_pks)
        values = {p: (state.mastery_of(to_model[p]), attempts.get(p, 0) + 1) for p in skill_pks}
    _write(record.student_id, values, at)
    return {p: v for p, (v, _) in values.items()}


def recompute_all(student_ids: Sequence[int] | None = None) -> int:
    """Recompute mastery of every skill each student has practised; returns the students done.

    Students go through the model in batches (one LSTM pass per batch); without an
    active model, the smoothed success rates are recomputed instead.
    """
    if student_ids is None:
        student_ids = list(
            LearningRecord.objects.filter(correct__isnull=False)
            .order_by("student_id")
            .values_list("student_id", flat=True)
            .distinct()
        )
    loaded = active_student_model()
    now = timezone.now()
    done = 0
    for start in range(0, len(student_ids), BATCH):
        batch = list(student_ids[start : start + BATCH])
        found = histories(batch)
        if loaded is None:
            counts = _counts(batch)
            for student_id, (_, touched) in found.items():
                _write(
                    student_id, {pk: _laplace(*counts.get((student_id, pk), (0, 0))) for pk in touched}, now
                )
            done += len(batch)
            continue
        _, model = loaded
        order = list(found)
        matrix = mastery_from_histories(model, [found[s][0] for s in order])
        index = model.skill_index
        mean = matrix.mean(axis=1)
        touched_all = {p for s in order for p in found[s][1]}
        to_model = _model_ids(touched_all)
        counts = _counts(batch)
        for row, student_id in enumerate(order):
            values = {}
            for pk in found[student_id][1]:
                column = index.get(to_model[pk])
                value = float(matrix[row, column]) if column is not None else float(mean[row])
                values[pk] = (value, counts.get((student_id, pk), (0, 0))[0])
            if values:
                _write(student_id, values, now)
        done += len(batch)
    return done
