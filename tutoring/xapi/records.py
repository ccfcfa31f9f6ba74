"""Turning stored statements about answering items into LearningRecords.

An xAPI actor becomes a student account keyed by its identifier; the object is
an item when its IRI ends in ``/items/<id>``; a skill may be named by a
``category`` context activity ending in ``/skills/<name>``. A statement that
names neither stays stored as a raw statement, with no record.
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
ITEM_IRI = re.compile(r"/items/(\d+)/?$")
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


def _students_for(statements: list[Statement]) -> dict[str, Any]:
    """Map actor keys to student users, creating accounts for new actors."""
    keys = {s.actor_key for s in statements}
    external = {f"xapi:{key}": key for key in keys}
    found = {
        external[p.external_id]: p.user
        for p in Profile.objects.filter(external_id__in=external).select_related("user")
    }
    User = get_user_model()
    for statement in statements:
        key = statement.actor_key
        if key in found:
            continue
        username = "xapi-" + hashlib.sha1(key.encode()).hexdigest()[:20]
        # xAPI learners sign in through their own tool, never with a password here.
        user, _ = User.objects.get_or_create(username=username, defaults={"password": make_password(None)})
        Profile.objects.get_or_create(
            user=user,
            defaults={
                "role": Role.STUDENT,
                "external_id": f"xapi:{key}",
                "display_name": str(statement.data["actor"].get("name", ""))[:200],
            },
        )
        found[key] = user
    return found


def records_for(statements: list[Statement]) -> list[LearningRecord]:
    """Build (unsaved) records for the statements that are answers to an item or skill."""
    answering = [s for s in statements if s.verb_id in ANSWER_VERBS and not s.voided and "result" in s.data]
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
    items = Item.objects.in_bulk(set(item_ids.values()))
    skills = {s.name: s for s in Skill.objects.filter(name__in=set(skill_names.values()))}
    relevant = [
        s
        for s in answering
        if items.get(item_ids.get(s.activity_id, -1)) or skills.get(skill_names.get(str(s.id), ""))
    ]
    students = _students_for(relevant)
    records = []
    for statement in relevant:
        correct, score = _outcome(statement.data["result"])
        finished = parse_datetime(statement.data["timestamp"])
        records.append(
            LearningRecord(
                student=students[statement.actor_key],
                item=items.get(item_ids.get(statement.activity_id, -1)),
                skill=skills.get(skill_names.get(str(statement.id), "")),
                correct=correct,
                score=score,
                response=str(statement.data["result"].get("response", "")),
                finished_at=finished,
                source=LearningRecord.Source.XAPI,
                statement=statement,
            )
        )
    return records
