"""Validation of xAPI 1.0.3 statements (the Statement resource, section 2.2 of
the xAPI Data Model), reporting the first problem by statement index and the
dotted path of the offending field so a tool vendor can fix their payload.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
STATEMENT_PROPERTIES = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
AGENT_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
OBJECT_TYPES = {"Activity", "Agent", "Group", "StatementRef", "SubStatement"}
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
# ISO 8601 duration, as xAPI requires for result.duration.
DURATION = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
MAX_TEXT = 10_000
MAX_OFFSET = timedelta(hours=14)


@dataclass(frozen=True)
class StatementError(Exception):
    """Why statement ``index`` of a request is invalid, naming ``field``."""

    index: int
    field: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "error": "invalid statement",
            "statement_index": self.index,
            "field": self.field,
            "message": self.message,
        }


def parse_timestamp(text: str) -> datetime | None:
    """An ISO 8601 timestamp the database can store, else None.

    Real offsets run from -12:00 to +14:00; PostgreSQL refuses offsets of 16
    hours or more and dates that leave years 1-9999 once moved to UTC.
    """
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            return None
        offset = parsed.utcoffset()
        if offset is not None:
            if abs(offset) > MAX_OFFSET:
                return None
            parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed


class _Checker:
    def __init__(self, index: int) -> None:
        self.index = index

    def fail(self, field: str, message: str) -> None:
        raise StatementError(self.index, field, message)

    def obj(self, value: Any, field: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(field, "must be a JSON object")
        return value

    def only(self, value: dict[str, Any], allowed: set[str], field: str) -> None:
        extra = sorted(set(value) - allowed)
        if extra:
            self.fail(f"{field}.{extra[0]}" if field else extra[0], "is not a property allowed here")

    def iri(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not IRI.match(value) or len(value) > 2048:
            self.fail(field, "must be an absolute IRI such as https://example.org/verbs/answered")
        return value

    def uuid(self, value: Any, field: str) -> str:
        try:
            return (
                str(uuid.UUID(str(value))) if isinstance(value, str) else self.fail(field, "must be a UUID")
            )
        except ValueError:
            self.fail(field, "must be a UUID")
        raise AssertionError  # unreachable: fail() raises

    def timestamp(self, value: Any, field: str) -> datetime:
        parsed = parse_timestamp(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail(field, "must be an ISO 8601 timestamp with a real-world time zone offset")
        return parsed

    def language_map(self, value: Any, field: str) -> None:
        mapping = self.obj(value, field)
        for tag, text in mapping.items():
            if not LANGUAGE_TAG.match(tag):
                self.fail(f"{field}.{tag}", "keys must be RFC 5646 language tags")
            if not isinstance(text, str):
                self.fail(f"{field}.{tag}", "must be a string")

    def boolean(self, value: Any, field: str) -> None:
        if not isinstance(value, bool):
            self.fail(field, "must be true or false")

    def number(self, value: Any, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, "must be a number")
        return float(value)

    def agent(self, value: Any, field: str, *, group_member: bool = False) -> None:
        agent = self.obj(value, field)
        object_type = agent.get("objectType", "Agent")
        if object_type not in ("Agent", "Group") or (group_member and object_type != "Agent"):
            self.fail(f"{field}.objectType", "must be Agent" + ("" if group_member else " or Group"))
        self.only(agent, {"objectType", "name", "member", *AGENT_IFIS}, field)
        ifis = [key for key in AGENT_IFIS if key in agent]
        if object_type == "Agent" and len(ifis) != 1:
            self.fail(field, "an Agent needs exactly one of mbox, mbox_sha1sum, openid, account")
        if object_type == "Group":
            if len(ifis) > 1:
                self.fail(field, "a Group has at most one of mbox, mbox_sha1sum, openid, account")
            members = agent.get("member", [] if ifis else None)
            if not isinstance(members, list) or (not ifis and not members):
                self.fail(f"{field}.member", "an anonymous Group needs a list of member Agents")
            for i, member in enumerate(members):
                self.agent(member, f"{field}.member[{i}]", group_member=True)
        if "name" in agent and not isinstance(agent["name"], str):
            self.fail(f"{field}.name", "must be a string")
        if "mbox" in agent and (
            not isinstance(agent["mbox"], str)
            or not agent["mbox"].startswith("mailto:")
            or "@" not in agent["mbox"]
        ):
            self.fail(f"{field}.mbox", "must be a mailto: IRI such as mailto:ada@example.org")
        if "mbox_sha1sum" in agent and not (
            isinstance(agent["mbox_sha1sum"], str) and SHA1.match(agent["mbox_sha1sum"])
        ):
            self.fail(f"{field}.mbox_sha1sum", "must be 40 hexadecimal characters")
        if "openid" in agent:
            self.iri(agent["openid"], f"{field}.openid")
        if "account" in agent:
            account = self.obj(agent["account"], f"{field}.account")
            self.only(account, {"homePage", "name"}, f"{field}.account")
            self.iri(account.get("homePage"), f"{field}.account.homePage")
            if not isinstance(account.get("name"), str) or not account["name"]:
                self.fail(f"{field}.account.name", "must be a non-empty string")

    def verb(self, value: Any, field: str) -> str:
        verb = self.obj(value, field)
        self.only(verb, {"id", "display"}, field)
        verb_id = self.iri(verb.get("id"), f"{field}.id")
        if "display" in verb:
            self.language_map(verb["display"], f"{field}.display")
        return verb_id

    def activity(self, value: dict[str, Any], field: str) -> None:
        self.only(value, {"objectType", "id", "definition"}, field)
        self.iri(value.get("id"), f"{field}.id")
        if "definition" in value:
            definition = self.obj(value["definition"], f"{field}.definition")
            for key in ("name", "description"):
                if key in definition:
                    self.language_map(definition[key], f"{field}.definition.{key}")
            if "type" in definition:
                self.iri(definition["type"], f"{field}.definition.type")
            if "extensions" in definition:
                self.extensions(definition["extensions"], f"{field}.definition.extensions")

    def extensions(self, value: Any, field: str) -> None:
        for key in self.obj(value, field):
            self.iri(key, f"{field}.{key}")

    def target(self, value: Any, field: str, *, sub: bool = False) -> dict[str, Any]:
        target = self.obj(value, field)
        object_type = target.get("objectType", "Activity")
        if object_type not in OBJECT_TYPES:
            self.fail(f"{field}.objectType", f"must be one of {', '.join(sorted(OBJECT_TYPES))}")
        if object_type == "Activity":
            self.activity(target, field)
        elif object_type in ("Agent", "Group"):
            self.agent(target, field)
        elif object_type == "StatementRef":
            self.only(target, {"objectType", "id"}, field)
            self.uuid(target.get("id"), f"{field}.id")
        else:
            if sub:
                self.fail(f"{field}.objectType", "a SubStatement cannot contain another SubStatement")
            self.only(
                target, {"objectType", "actor", "verb", "object", "result", "context", "timestamp"}, field
            )
            self.agent(target.get("actor"), f"{field}.actor")
            self.verb(target.get("verb"), f"{field}.verb")
            self.target(target.get("object"), f"{field}.object", sub=True)
            self.result_and_context(target, field)
        return target

    def result_and_context(self, statement: dict[str, Any], prefix: str) -> None:
        dot = f"{prefix}." if prefix else ""
        if "result" in statement:
            result = self.obj(statement["result"], f"{dot}result")
            self.only(
                result,
                {"score", "success", "completion", "response", "duration", "extensions"},
                f"{dot}result",
            )
            for flag in ("success", "completion"):
                if flag in result:
                    self.boolean(result[flag], f"{dot}result.{flag}")
            if "response" in result and (
                not isinstance(result["response"], str) or len(result["response"]) > MAX_TEXT
            ):
                self.fail(f"{dot}result.response", f"must be a string of at most {MAX_TEXT} characters")
            if "duration" in result and not (
                isinstance(result["duration"], str) and DURATION.match(result["duration"])
            ):
                self.fail(f"{dot}result.duration", "must be an ISO 8601 duration such as PT1M30S")
            if "extensions" in result:
                self.extensions(result["extensions"], f"{dot}result.extensions")
            if "score" in result:
                self.score(result["score"], f"{dot}result.score")
        if "context" in statement:
            context = self.obj(statement["context"], f"{dot}context")
            self.only(
                context,
                {
                    "registration",
                    "instructor",
                    "team",
                    "contextActivities",
                    "revision",
                    "platform",
                    "language",
                    "statement",
                    "extensions",
                },
                f"{dot}context",
            )
            if "registration" in context:
                self.uuid(context["registration"], f"{dot}context.registration")
            if "instructor" in context:
                self.agent(context["instructor"], f"{dot}context.instructor")
            if "team" in context:
                team = self.obj(context["team"], f"{dot}context.team")
                if team.get("objectType") != "Group":
                    self.fail(f"{dot}context.team.objectType", "must be Group")
                self.agent(team, f"{dot}context.team")
            for text in ("revision", "platform"):
                if text in context and not isinstance(context[text], str):
                    self.fail(f"{dot}context.{text}", "must be a string")
            if "statement" in context:
                ref = self.obj(context["statement"], f"{dot}context.statement")
                if ref.get("objectType") != "StatementRef":
                    self.fail(f"{dot}context.statement.objectType", "must be StatementRef")
                self.only(ref, {"objectType", "id"}, f"{dot}context.statement")
                self.uuid(ref.get("id"), f"{dot}context.statement.id")
            if "contextActivities" in context:
                activities = self.obj(context["contextActivities"], f"{dot}context.contextActivities")
                self.only(
                    activities, {"parent", "grouping", "category", "other"}, f"{dot}context.contextActivities"
                )
                for key, value in activities.items():
                    listed = value if isinstance(value, list) else [value]
                    for i, activity in enumerate(listed):
                        self.activity(
                            self.obj(activity, f"{dot}context.contextActivities.{key}[{i}]"),
                            f"{dot}context.contextActivities.{key}[{i}]",
                        )
            if "language" in context and not (
                isinstance(context["language"], str) and LANGUAGE_TAG.match(context["language"])
            ):
                self.fail(f"{dot}context.language", "must be an RFC 5646 language tag")
            if "extensions" in context:
                self.extensions(context["extensions"], f"{dot}context.extensions")

    def attachment(self, value: Any, field: str) -> None:
        """An attachment's metadata (xAPI 1.0.3 Data 2.4.11); the content itself is not accepted here."""
        attachment = self.obj(value, field)
        self.only(
            attachment,
            {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"},
            field,
        )
        self.iri(attachment.get("usageType"), f"{field}.usageType")
        if "display" not in attachment:
            self.fail(f"{field}.display", "is required")
        self.language_map(attachment["display"], f"{field}.display")
        if "description" in attachment:
            self.language_map(attachment["description"], f"{field}.description")
        if not isinstance(attachment.get("contentType"), str) or not attachment["contentType"]:
            self.fail(f"{field}.contentType", "must be an Internet Media Type such as image/png")
        length = attachment.get("length")
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            self.fail(f"{field}.length", "must be a whole number of octets")
        if not isinstance(attachment.get("sha2"), str) or not attachment["sha2"]:
            self.fail(f"{field}.sha2", "must be the SHA-2 hash of the content")
        if "fileUrl" in attachment:
            self.iri(attachment["fileUrl"], f"{field}.fileUrl")

    def score(self, value: Any, field: str) -> None:
        score = self.obj(value, field)
        self.only(score, {"scaled", "raw", "min", "max"}, field)
        numbers = {
            key: self.number(score[key], f"{field}.{key}")
            for key in ("scaled", "raw", "min", "max")
            if key in score
        }
        if "scaled" in numbers and not -1 <= numbers["scaled"] <= 1:
            self.fail(f"{field}.scaled", "must be between -1 and 1")
        if "min" in numbers and "max" in numbers and numbers["min"] >= numbers["max"]:
            self.fail(f"{field}.max", "must be greater than min")
        if "raw" in numbers:
            if "min" in numbers and numbers["raw"] < numbers["min"]:
                self.fail(f"{field}.raw", "must not be below min")
            if "max" in numbers and numbers["raw"] > numbers["max"]:
                self.fail(f"{field}.raw", "must not be above max")


def validate_statement(statement: Any, index: int) -> dict[str, Any]:
    """Check one statement against xAPI 1.0.3; raise StatementError naming the field."""
    check = _Checker(index)
    statement = check.obj(statement, "statement")
    check.only(statement, STATEMENT_PROPERTIES, "")
    if "id" in statement:
        check.uuid(statement["id"], "id")
    if "actor" not in statement:
        check.fail("actor", "is required")
    check.agent(statement["actor"], "actor")
    if "verb" not in statement:
        check.fail("verb", "is required")
    verb_id = check.verb(statement["verb"], "verb")
    if "object" not in statement:
        check.fail("object", "is required")
    target = check.target(statement["object"], "object")
    if verb_id == VOIDED_VERB and target.get("objectType") != "StatementRef":
        check.fail("object.objectType", "a voiding statement's object must be a StatementRef")
    check.result_and_context(statement, "")
    if "timestamp" in statement:
        check.timestamp(statement["timestamp"], "timestamp")
    if "version" in statement and not (
        isinstance(statement["version"], str) and re.match(r"^1\.0(\.\d+)?$", statement["version"])
    ):
        check.fail("version", "must be a 1.0.x version string")
    if "attachments" in statement:
        if not isinstance(statement["attachments"], list):
            check.fail("attachments", "must be a list")
        for i, attachment in enumerate(statement["attachments"]):
            check.attachment(attachment, f"attachments[{i}]")
    return statement


def validate_agent(agent: Any, field: str = "agent") -> None:
    """Check an Agent or Group on its own (used by the statement query API)."""
    _Checker(0).agent(agent, field)
