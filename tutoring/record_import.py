"""Importing learning-record logs in the DKVMN format as students, skills and
ordered records. The whole file is parsed before anything is written, and the
write is one transaction, so a malformed line leaves the database untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from edursft.datasets.dkvmn import DkvmnFormatError, StudentSequence, read_dkvmn, read_skill_map
from tutoring.models import Classroom, LearningRecord, Profile, Role, Skill

BATCH = 5000


@dataclass(frozen=True)
class ImportSummary:
    students_created: int
    students_skipped: int
    records_created: int
    skills_created: int


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


def _insert_records(
    sequences: dict[str, StudentSequence], students: dict[str, int], skills: dict[int, Skill]
) -> int:
    """Insert every attempt with executemany.

    Building 200,000 model instances costs four times the insert itself (measured
    with cProfile on the ASSISTments import), so rows go straight to the cursor.
    """
    meta = LearningRecord._meta
    columns = [
        "student_id",
        "skill_id",
        "correct",
        "score",
        "response",
        "attempt",
        "position",
        "source",
        "import_key",
        "created_at",
    ]
    quote = connection.ops.quote_name
    sql = (  # the executemany path (SQLite and other backends)
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    skill_pk = {ident: skill.pk for ident, skill in skills.items()}
    rows = []
    for key, seq in sequences.items():
        student = students[key]
        seen: dict[int, int] = {}
        for position, (skill_id, response) in enumerate(
            zip(seq.skills.tolist(), seq.responses.tolist(), strict=True)
        ):
            seen[skill_id] = seen.get(skill_id, 0) + 1
            rows.append(
                (
                    student,
                    skill_pk[skill_id],
                    bool(response),
                    float(response),
                    "",
                    seen[skill_id],
                    position,
                    LearningRecord.Source.IMPORT.value,
                    f"{key}:{position}",
                    now,
                )
            )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is PostgreSQL's bulk path: one round trip for the whole stream.
            copy_sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            for start in range(0, len(rows), BATCH):
                cursor.executemany(sql, rows[start : start + BATCH])
    return len(rows)


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
        existing = dict(Profile.objects.filter(external_id__in=keys).values_list("external_id", "user_id"))
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
        created = _insert_records(todo, {key: users[usernames[key]] for key in todo}, skills)
        if classroom:
            # Every student of the file joins the class, also those an earlier import created.
            room, _ = Classroom.objects.get_or_create(name=classroom)
            room.students.add(*users.values(), *existing.values())
    return ImportSummary(
        students_created=len(todo),
        students_skipped=len(existing),
        records_created=created,
        skills_created=skills_created,
    )
