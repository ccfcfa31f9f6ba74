"""Reading statements back (xAPI 1.0.3, GET /statements), with keyset paging."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from tutoring.models import Statement, XapiClient
from tutoring.xapi.records import actor_key
from tutoring.xapi.validation import StatementError, parse_timestamp, validate_agent

MAX_LIMIT = 500


class QueryError(ValueError):
    """A bad query parameter, named in ``parameter``."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass
class Page:
    statements: list[dict[str, Any]]
    cursor: str | None


def readable_by(client: XapiClient) -> QuerySet[Statement]:
    """The statements this client may read: all of them with statements/read, else the ones it stored.

    Others are left out entirely, so a tool cannot tell them from statements that do not exist.
    """
    if client.may_read == XapiClient.Reads.ALL:
        return Statement.objects.all()
    if client.may_read == XapiClient.Reads.MINE:
        return Statement.objects.filter(client=client)
    return Statement.objects.none()


def single_statement(statement_id: str, client: XapiClient, *, voided: bool) -> dict[str, Any] | None:
    """A statement by id among those the client may read; a voided one only as voidedStatementId."""
    try:
        key = uuid.UUID(statement_id)
    except ValueError:
        raise QueryError("voidedStatementId" if voided else "statementId", "must be a UUID") from None
    return readable_by(client).filter(id=key, voided=voided).values_list("data", flat=True).first()


FILTERS = ("agent", "verb", "activity", "registration", "since", "until", "limit", "ascending", "cursor")
# Parameters of xAPI 1.0.3 this LRS honours only with the value that describes what it does.
ONLY_VALUE = {
    "format": "exact",
    "attachments": "false",
    "related_activities": "false",
    "related_agents": "false",
}


def check_parameters(params: dict[str, str]) -> None:
    """Refuse parameters the resource does not know or cannot honour (xAPI 1.0.3 Communication 3.2).

    A misspelt filter that were ignored would answer with every statement, as if it had matched.
    """
    single = [name for name in ("statementId", "voidedStatementId") if name in params]
    for name, value in params.items():
        if name in ONLY_VALUE:
            if value.lower() != ONLY_VALUE[name]:
                raise QueryError(name, f"only {ONLY_VALUE[name]} is supported")
        elif name in single:
            if len(single) > 1:
                raise QueryError(name, "give statementId or voidedStatementId, not both")
        elif single:
            raise QueryError(name, f"cannot be combined with {single[0]}")
        elif name not in FILTERS:
            raise QueryError(name, "is not a parameter of the statements resource")
    if params.get("ascending", "false").lower() not in ("true", "false"):
        raise QueryError("ascending", "must be true or false")


def _encode_cursor(statement: Statement) -> str:
    raw = json.dumps([statement.stored.isoformat(), str(statement.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[Any, uuid.UUID]:
    try:
        stored, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        when = parse_timestamp(stored)
        if when is None:
            raise ValueError(stored)
        return when, uuid.UUID(ident)
    except (ValueError, TypeError, AttributeError):
        raise QueryError("cursor", "is not a cursor this server issued") from None


def _time(params: dict[str, str], name: str) -> Any:
    value = parse_timestamp(params[name]) if params.get(name) else None
    if params.get(name) and value is None:
        raise QueryError(name, "must be an ISO 8601 timestamp")
    return value


def query_statements(params: dict[str, str], client: XapiClient) -> Page:
    """Filter the statements the client may read by agent, verb, activity, registration, since,
    until; newest first unless ascending."""
    statements = readable_by(client).filter(voided=False)
    if params.get("agent"):
        try:
            agent = json.loads(params["agent"])
            validate_agent(agent)
        except (ValueError, StatementError) as error:
            raise QueryError("agent", "must be a JSON xAPI Agent with one identifier") from error
        statements = statements.filter(actor_key=actor_key(agent))
    if params.get("verb"):
        statements = statements.filter(verb_id=params["verb"])
    if params.get("activity"):
        statements = statements.filter(activity_id=params["activity"])
    if params.get("registration"):
        try:
            statements = statements.filter(registration=uuid.UUID(params["registration"]))
        except ValueError:
            raise QueryError("registration", "must be a UUID") from None
    if since := _time(params, "since"):
        statements = statements.filter(stored__gt=since)
    if until := _time(params, "until"):
        statements = statements.filter(stored__lte=until)
    try:
        limit = int(params.get("limit") or MAX_LIMIT)
    except ValueError:
        raise QueryError("limit", "must be a whole number") from None
    if limit < 0:
        raise QueryError("limit", "must not be negative")
    limit = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
    ascending = params.get("ascending", "false").lower() == "true"
    if params.get("cursor"):
        stored, ident = _decode_cursor(params["cursor"])
        if ascending:
            statements = statements.filter(Q(stored__gt=stored) | Q(stored=stored, id__gt=ident))
        else:
            statements = statements.filter(Q(stored__lt=stored) | Q(stored=stored, id__lt=ident))
    order = ["stored", "id"] if ascending else ["-stored", "-id"]
    rows = list(statements.order_by(*order).only("id", "stored", "data")[: limit + 1])
    cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return Page(statements=[row.data for row in rows[:limit]], cursor=cursor)
