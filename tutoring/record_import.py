"""Importing learning-record logs in the DKVMN format as students, skills and
ordered records. The whole file is parsed before anything is written, and the
write is one transaction, so a malformed line leaves the database untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from edursft.datasets.dkvmn import DkvmnFormatError, read_dkvmn, read_skill_map
from tutoring.models import Classroom, LearningRecord, Profile, Role, Skill

BATCH = 5000


@dataclass(frozen=True)
class ImportSummary:
    students_created: int
    students_skipped: int
    records_created: int
    skills_created: int

    @property
    def records(self) -> int:
        return self.records_created


def _skills(dataset: str, ids: set[int], names: dict[int, str]) -> tuple[dict[int, Skill], int]:
    """Skills keyed by the file's ids; unnamed ids get a name that says where they came from."""
    external = {f"{dataset}:{i}": i for i in ids}
    found = {external[s.external_id]: s for s in Skill.objects.filter(external_id__in=external)}
    created = 0
    for ident in sorted(ids - set(found)):
        name = names.get(ident) or f"{dataset} skill {ident}"
        skill, made = Skill.objects.get_or_create(name=name, defaults={"external_id": f"{dataset}:{ident}"})
        if not made and not skill.external_id:
            skill.external_id = f"{dataset}:{ident}"
            skill.save(update_fields=["external_id"])
        created += made
        found[ident] = skill
    return found, created


def import_dkvmn(
    path: str | Path,
    skill_map: str | Path | None = None,
    *,
    dataset: str | None = None,
    classroom: str | None = None,
) -> ImportSummary:
    """Import a DKVMN file; re-running it imports nothing twice."""
    path = Path(path)
    dataset = dataset or path.parent.name or "dkvmn"
    sequences = read_dkvmn(path)
    names = read_skill_map(skill_map) if skill_map else {}
    stem = path.stem
    User = get_user_model()
    with transaction.atomic():
        skills, skills_created = _skills(dataset, {int(s) for seq in sequences for s in seq.skills}, names)
        keys = {f"dkvmn:{stem}:{seq.index}": seq for seq in sequences}
        existing = set(Profile.objects.filter(external_id__in=keys).values_list("external_id", flat=True))
        todo = {key: seq for key, seq in keys.items() if key not in existing}
        unusable = make_password(None)  # imported students sign in only once an admin sets a password
        usernames = {key: f"{dataset}-{stem}-{seq.index:05d}"[:150] for key, seq in todo.items()}
        taken = set(User.objects.filter(username__in=usernames.values()).values_list("username", flat=True))
        if taken:
            raise DkvmnFormatError(
                str(path),
                todo[next(k for k, u in usernames.items() if u in taken)].first_line,
                f"username {sorted(taken)[0]!r} already belongs to another account",
            )
        User.objects.bulk_create(
            [User(username=u, password=unusable) for u in usernames.values()], batch_size=BATCH
        )
        users = dict(User.objects.filter(username__in=usernames.values()).values_list("username", "id"))
        Profile.objects.bulk_create(
            [
                Profile(
                    user_id=users[usernames[key]],
                    role=Role.STUDENT,
                    external_id=key,
                    display_name=f"{dataset} student {seq.index}",
                )
                for key, seq in todo.items()
            ],
            batch_size=BATCH,
        )
        records = []
        for key, seq in todo.items():
            student = users[usernames[key]]
            seen: dict[int, int] = {}
            for position, (skill_id, response) in enumerate(
                zip(seq.skills.tolist(), seq.responses.tolist(), strict=True)
            ):
                seen[skill_id] = seen.get(skill_id, 0) + 1
                records.append(
                    LearningRecord(
                        student_id=student,
                        skill_id=skills[skill_id].pk,
                        correct=bool(response),
                        score=float(response),
                        attempt=seen[skill_id],
                        position=position,
                        source=LearningRecord.Source.IMPORT,
                        import_key=f"{key}:{position}",
                    )
                )
        created = len(LearningRecord.objects.bulk_create(records, batch_size=BATCH))
        if classroom:
            room, _ = Classroom.objects.get_or_create(name=classroom)
            room.students.add(*users.values())
    return ImportSummary(
        students_created=len(todo),
        students_skipped=len(existing),
        records_created=created,
        skills_created=skills_created,
    )
