"""Storing xAPI statements: all or nothing, idempotent, with voiding.

Rules (xAPI 1.0.3, Communication 2.1): a statement without an id gets one;
the same id with the same content stores nothing new; the same id with other
content is a conflict (409); two statements with one id in a batch is a bad
request; a voiding statement marks its target voided, whenever either arrives
(before it, after it, or in the same batch).

Voiding removes a learning record, so a tool may void only the statements it
stored itself; a tool an admin trusts to read every tool's statements
(statements/read) may void any. A voiding statement that arrived before its
target is honoured only if its tool may void the target's.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tutoring.models import LearningRecord, Statement, XapiClient
from tutoring.xapi.bulk import insert_new
from tutoring.xapi.records import actor_key, records_for
from tutoring.xapi.validation import VOIDED_VERB, StatementError, validate_statement

SERVER_SET = ("id", "stored", "authority", "version")


class StatementConflict(Exception):
    """A statement id already stored with different content."""

    def __init__(self, index: int, statement_id: str) -> None:
        super().__init__(f"statement {index} ({statement_id}) conflicts with a stored statement")
        self.index = index
        self.statement_id = statement_id


class VoidingRefused(Exception):
    """A voiding statement whose client may not void its target (stored by another client)."""

    def __init__(self, index: int, target: uuid.UUID) -> None:
        super().__init__(
            f"statement {index} voids {target}, which another client stored; a client may void only "
            "the statements it stored, unless a school admin lets it read every client's statements "
            "(statements/read)"
        )
        self.index = index
        self.target = target


@dataclass
class StoreResult:
    ids: list[str]
    created: int
    records: int


def content_hash(statement: dict[str, Any]) -> str:
    """Hash of what the client said, ignoring the properties the LRS sets."""
    client_part = {k: v for k, v in statement.items() if k not in SERVER_SET}
    return hashlib.sha256(json.dumps(client_part, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def authority_for(client: XapiClient | None) -> dict[str, Any]:
    name = client.key if client else "edursft"
    return {"objectType": "Agent", "account": {"homePage": "urn:edursft:xapi-client", "name": name}}


# Indexed columns are bounded (an actor becomes Profile.external_id "xapi:<key>",
# 200 characters); a longer value is the client's error, not the database's.
MAX_LENGTHS = {"actor": 195, "verb.id": 500, "object.id": 1000}


def _check_lengths(index: int, statement: dict[str, Any]) -> None:
    values = {
        "actor": actor_key(statement["actor"]),
        "verb.id": statement["verb"]["id"],
        "object.id": statement["object"].get("id", ""),
    }
    for field, value in values.items():
        if isinstance(value, str) and len(value) > MAX_LENGTHS[field]:
            raise StatementError(index, field, f"must identify it in at most {MAX_LENGTHS[field]} characters")


def _activities_as_lists(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement with every contextActivities value an array (also in a SubStatement).

    xAPI 1.0.3 (Data 2.4.6.2) lets a client send one Activity where an array is
    meant, and requires the LRS to return arrays; storing them so means readers
    of the stored data (records, GET) see one shape.
    """
    result = dict(statement)
    if isinstance(result.get("context"), dict) and isinstance(
        result["context"].get("contextActivities"), dict
    ):
        activities = result["context"]["contextActivities"]
        result["context"] = {
            **result["context"],
            "contextActivities": {k: v if isinstance(v, list) else [v] for k, v in activities.items()},
        }
    if isinstance(result.get("object"), dict) and result["object"].get("objectType") == "SubStatement":
        result["object"] = _activities_as_lists(result["object"])
    return result


def _prepare(raw: list[Any], client: XapiClient | None, put_id: str | None) -> list[Statement]:
    now = timezone.now()
    prepared: list[Statement] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        statement = _activities_as_lists(validate_statement(item, index))
        if put_id is not None:
            if "id" in statement and str(uuid.UUID(statement["id"])) != put_id:
                raise StatementError(index, "id", "differs from the statementId parameter")
            statement = {**statement, "id": put_id}
        statement_id = str(uuid.UUID(statement["id"])) if "id" in statement else str(uuid.uuid4())
        if statement_id in seen:
            raise StatementError(index, "id", "appears more than once in this batch")
        seen.add(statement_id)
        digest = content_hash(statement)
        stored = dict(statement)
        stored["id"] = statement_id
        stored.setdefault("timestamp", now.isoformat())
        stored["stored"] = now.isoformat()
        stored["authority"] = authority_for(client)
        stored.setdefault("version", "1.0.3")
        target = statement["object"]
        _check_lengths(index, statement)
        prepared.append(
            Statement(
                id=uuid.UUID(statement_id),
                data=stored,
                content_hash=digest,
                actor_key=actor_key(statement["actor"]),
                verb_id=statement["verb"]["id"],
                activity_id=target.get("id", "")
                if target.get("objectType", "Activity") == "Activity"
                else "",
                registration=statement.get("context", {}).get("registration"),
                timestamp=parse_datetime(stored["timestamp"]),
                stored=now,
                authority=stored["authority"],
                voids=uuid.UUID(target["id"]) if statement["verb"]["id"] == VOIDED_VERB else None,
                client=client,
            )
        )
    return prepared


def _may_void(voider_id: int | None, voider_reads: str | None, owner_id: int | None) -> bool:
    """Whether a client (its id and read scope) may void a statement that client ``owner_id`` stored.

    Its own always; any when a school admin lets it read every client's statements.
    """
    return voider_reads == XapiClient.Reads.ALL or voider_id == owner_id


def store_statements(raw: list[Any], client: XapiClient | None, *, put_id: str | None = None) -> StoreResult:
    """Validate and store a batch atomically; returns the ids in request order."""
    prepared = _prepare(raw, client, put_id)
    try:
        return _store(prepared, client)
    except IntegrityError:
        # Another request stored one of these ids between our check and our insert:
        # run again, now seeing it, so the same content is accepted and other content is a 409.
        return _store(prepared, client)


def _store(prepared: list[Statement], client: XapiClient | None) -> StoreResult:
    ids = [s.id for s in prepared]
    ids_set = set(ids)
    client_id = client.pk if client else None
    with transaction.atomic():
        # One round trip: the batch's ids already stored, and statements that void any of them
        # (a voiding statement may arrive before its target: it is honoured on arrival if its
        # client may void the target).
        known = Statement.objects.filter(Q(id__in=ids) | Q(voids__in=ids)).values_list(
            "id", "content_hash", "voids", "client_id", "client__may_read"
        )
        stored, already_voided = {}, set()
        for ident, digest, voids, voider_id, voider_reads in known:
            if ident in ids_set:
                stored[ident] = digest
            if voids in ids_set and _may_void(voider_id, voider_reads, client_id):
                already_voided.add(voids)
        for index, statement in enumerate(prepared):
            if statement.id in stored and stored[statement.id] != statement.content_hash:
                raise StatementConflict(index, str(statement.id))
        new = [s for s in prepared if s.id not in stored]
        new_ids = {s.id for s in new}
        targets = {s.voids: i for i, s in enumerate(prepared) if s.voids and s.id in new_ids}
        if targets:
            # Targets in this batch are the client's own; stored ones may be another client's.
            # Ownership is checked first, so a refused client learns nothing of the target's content.
            stored_targets = list(
                Statement.objects.filter(id__in=targets).values_list("id", "client_id", "verb_id")
            )
            reads = client.may_read if client else None
            refused = [t for t, owner, _ in stored_targets if not _may_void(client_id, reads, owner)]
            for target in sorted(refused, key=targets.get):
                raise VoidingRefused(targets[target], target)
            # A voiding statement is one stored already or one arriving in this batch.
            voiding_here = {s.id for s in prepared if s.voids}
            stored_voiding = {t for t, _, verb in stored_targets if verb == VOIDED_VERB}
            for target in sorted((stored_voiding | voiding_here) & set(targets), key=targets.get):
                raise StatementError(targets[target], "object.id", "a voiding statement cannot be voided")
        for statement in new:
            # Voided by an earlier request, or by a voiding statement in this very batch.
            statement.voided = statement.id in already_voided or statement.id in targets
        insert_new(Statement, new)
        if targets:
            Statement.objects.filter(id__in=targets).update(voided=True)
            LearningRecord.objects.filter(statement_id__in=targets).delete()
        records = insert_new(LearningRecord, records_for(new))
    return StoreResult(ids=[str(i) for i in ids], created=len(new), records=records)
