"""Turning stored statements about answering items into LearningRecords.

An xAPI actor becomes a student account keyed by its identifier; the object is
an item when its IRI ends in ``/items/<id>``; a skill may be named by a
``category`` context activity ending in ``/skills/<name>``. A statement that
names neither, or whose actor is a Group (no one learner to credit), stays
stored as a raw statement, with no record.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils.dateparse import parse_datetime

from tutoring.models import Item, LearningRecord, Profile, Role, Skill, Statement

ANSWER_VERBS = {
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "http://adlnet.gov/expapi/verbs/scored",
}
# At most 18 digits: every such id fits the database's 64-bit keys; a longer one names no item.
ITEM_IRI = re.compile(r"/items/(\d{1,18})/?$")
SKILL_IRI = re.compile(r"/skills/([^/]+)/?$")


def actor_key(actor: dict[str, Any]) -> str:
    """A stable string for an xAPI agent's inverse functional identifier."""
    if "mbox" in actor:
        return actor["mbox"].lower()
    if "mbox_sha1sum" in actor:
        return "mbox_sha1sum:" + actor["mbox_sha1sum"].lower()
    if "openid" in actor:
        return "openid:" + actor["openid"]
    if "account" in actor:
        return f"account:{actor['account']['homePage']}|{actor['account']['name']}"
    members = sorted(actor_key(member) for member in actor.get("member", []))
    return "group:" + hashlib.sha1("|".join(members).encode()).hexdigest()


def _outcome(result: dict[str, Any]) -> tuple[bool | None, float | None]:
    correct = result.get("success")
    score = None
    raw = result.get("score", {})
    if "scaled" in raw:
        score = max(0.0, min(1.0, float(raw["scaled"])))
    elif "raw" in raw and "max" in raw and float(raw["max"]) > float(raw.get("min", 0)):
        low = float(raw.get("min", 0))
        score = max(0.0, min(1.0, (float(raw["raw"]) - low) / (float(raw["max"]) - low)))
    return correct, score


def _students_for(statements: list[Statement]) -> dict[str, int]:
    """Map actor keys to student user ids, creating accounts for new actors.

    New accounts are inserted in one sorted order with ON CONFLICT DO NOTHING,
    so concurrent batches naming the same new learners wait for each other
    instead of deadlocking, and neither fails.
    """
    keys = {s.actor_key for s in statements}
    external = {f"xapi:{key}": key for key in keys}
    found = dict(
        (external[external_id], user_id)
        for external_id, user_id in Profile.objects.filter(external_id__in=external).values_list(
            "external_id", "user_id"
        )
    )
    missing = sorted((_username(key), key) for key in keys - set(found))
    if not missing:
        return found
    names = {s.actor_key: str(s.data["actor"].get("name", ""))[:200] for s in statements}
    User = get_user_model()
    # xAPI learners sign in through their own tool, never with a password here.
    unusable = make_password(None)
    User.objects.bulk_create(
        [User(username=username, password=unusable) for username, _ in missing], ignore_conflicts=True
    )
    ids = dict(User.objects.filter(username__in=[u for u, _ in missing]).values_list("username", "id"))
    Profile.objects.bulk_create(
        [
            Profile(
                user_id=ids[username], role=Role.STUDENT, external_id=f"xapi:{key}", display_name=names[key]
            )
            for username, key in missing
        ],
        ignore_conflicts=True,
    )
    found.update((key, ids[username]) for username, key in missing)
    return found


def _username(key: str) -> str:
    return "xapi-" + hashlib.sha1(key.encode()).hexdigest()[:20]


def records_for(statements: list[Statement]) -> list[LearningRecord]:
    """Build (unsaved) records for the statements that are answers to an item or skill."""
    answering = [
        s
        for s in statements
        if s.verb_id in ANSWER_VERBS
        and not s.voided
        and "result" in s.data
        and s.data["actor"].get("objectType", "Agent") == "Agent"
    ]
    if not answering:
        return []
    item_ids: dict[str, int] = {}
    skill_names: dict[str, str] = {}
    for statement in answering:
        if match := ITEM_IRI.search(statement.activity_id):
            item_ids[statement.activity_id] = int(match.group(1))
        for category in statement.data.get("context", {}).get("contextActivities", {}).get("category", []):
            if match := SKILL_IRI.search(category.get("id", "")):
                skill_names[str(statement.id)] = unquote(match.group(1))
                break
    items = set(Item.objects.filter(pk__in=set(item_ids.values())).values_list("pk", flat=True))
    skills = dict(Skill.objects.filter(name__in=set(skill_names.values())).values_list("name", "pk"))
    relevant = [
        s for s in answering if item_ids.get(s.activity_id) in items or skill_names.get(str(s.id)) in skills
    ]
    students = _students_for(relevant)
    records = []
    for statement in relevant:
        correct, score = _outcome(statement.data["result"])
        finished = parse_datetime(statement.data["timestamp"])
        records.append(
            LearningRecord(
                student_id=students[statement.actor_key],
                item_id=item_id if (item_id := item_ids.get(statement.activity_id)) in items else None,
                skill_id=skills.get(skill_names.get(str(statement.id), "")),
                correct=correct,
                score=score,
                response=str(statement.data["result"].get("response", "")),
                finished_at=finished,
                source=LearningRecord.Source.XAPI,
                statement=statement,
            )
        )
    return records
