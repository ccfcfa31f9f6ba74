"""The OpenAPI 3 description of the site's HTTP API, served at /api/openapi.json.

Written by hand so it says what the code promises (xAPI 1.0.3 Statement
resource, section 2.1 of the Communication part) rather than what a generator
guesses; tests/reliability/test_openapi_fuzz.py fuzzes the running site against
it, so a response the document does not describe fails the suite.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from tutoring.xapi.selectors import MAX_LIMIT, ONLY_VALUE


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    response["headers"] = {
        "X-Experience-API-Version": {"$ref": "#/components/headers/Version"},
        **(headers or {}),
    }
    return response


def _errors(*statuses: int) -> dict[str, Any]:
    described = {
        "400": (
            "Malformed input: the body names the statement index and field, or the bad parameter.",
            "Error",
        ),
        "401": ("Missing, wrong or revoked client credentials.", "Error"),
        "403": (
            "The client's scopes do not allow this: GET needs statements/read or statements/read/mine, "
            "POST and PUT need statements/write; and a voiding statement may void only a statement this "
            "client stored, unless it has statements/read (then any). A refused voiding names the "
            "statement index and the voided statement's id, and nothing of the request is stored.",
            "Error",
        ),
        "404": (
            "No statement with that id that this client may read (with statements/read/mine, another "
            "client's statement is answered as if absent), or it is voided and was asked for as statementId.",
            "Error",
        ),
        "409": (
            "A statement with this id is already stored with different content, by this client or "
            "another (ids are unique across clients; the answer never shows the stored statement).",
            "Error",
        ),
        "413": ("More statements in one request than the server accepts.", "Error"),
        "429": ("This client sent too many requests in the last minute.", "Error"),
    }
    responses = {}
    for status in statuses:
        description, schema = described[str(status)]
        extra: dict[str, Any] = {}
        if status == 401:
            extra["WWW-Authenticate"] = {"schema": {"type": "string"}, "description": 'Basic realm="xAPI"'}
        if status == 429:
            extra["Retry-After"] = {"schema": {"type": "string"}, "description": "Seconds to wait."}
        responses[str(status)] = _json(_ref(schema), description, extra)
    return responses


IRI = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", "maxLength": 2048}
LANGUAGE_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, in one sentence."},
            "field": {"type": "string", "description": "Dotted path of the offending field or parameter."},
            "statement_index": {"type": "integer", "description": "0-based index of the bad statement."},
            "message": {"type": "string"},
        },
    },
    "Account": {
        "type": "object",
        "required": ["homePage", "name"],
        "properties": {"homePage": IRI, "name": {"type": "string", "minLength": 1}},
        "additionalProperties": False,
    },
    "Agent": {
        "type": "object",
        "description": "An Agent has exactly one of mbox, mbox_sha1sum, openid, account; "
        "an anonymous Group has members instead.",
        "properties": {
            "objectType": {"type": "string", "enum": ["Agent", "Group"]},
            "name": {"type": "string"},
            "mbox": {"type": "string", "pattern": "^mailto:.+@.+$"},
            "mbox_sha1sum": {"type": "string", "pattern": "^[0-9a-fA-F]{40}$"},
            "openid": IRI,
            "account": _ref("Account"),
            "member": {"type": "array", "items": {"type": "object"}},
        },
        "additionalProperties": False,
    },
    "Verb": {
        "type": "object",
        "required": ["id"],
        "properties": {"id": IRI, "display": LANGUAGE_MAP},
        "additionalProperties": False,
    },
    "StatementObject": {
        "type": "object",
        "description": "An Activity (the default), Agent, Group, StatementRef or SubStatement.",
        "properties": {
            "objectType": {
                "type": "string",
                "enum": ["Activity", "Agent", "Group", "StatementRef", "SubStatement"],
            },
            "id": {"type": "string"},
        },
    },
    "Score": {
        "type": "object",
        "properties": {
            "scaled": {"type": "number", "minimum": -1, "maximum": 1},
            "raw": {"type": "number"},
            "min": {"type": "number"},
            "max": {"type": "number"},
        },
        "additionalProperties": False,
    },
    "Result": {
        "type": "object",
        "properties": {
            "score": _ref("Score"),
            "success": {"type": "boolean"},
            "completion": {"type": "boolean"},
            "response": {"type": "string", "maxLength": 10_000},
            "duration": {"type": "string", "description": "ISO 8601 duration such as PT1M30S"},
            "extensions": {"type": "object"},
        },
        "additionalProperties": False,
    },
    "Statement": {
        "type": "object",
        "description": "An xAPI 1.0.3 statement. Statements about answering /items/<id> or naming a "
        "/skills/<name> category become learning records.",
        "required": ["actor", "verb", "object"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "actor": _ref("Agent"),
            "verb": _ref("Verb"),
            "object": _ref("StatementObject"),
            "result": _ref("Result"),
            "context": {"type": "object"},
            "timestamp": {"type": "string", "format": "date-time"},
            "stored": {"type": "string", "format": "date-time"},
            "authority": {"type": "object"},
            "version": {"type": "string", "pattern": r"^1\.0(\.\d+)?$"},
            "attachments": {"type": "array"},
        },
        "additionalProperties": False,
    },
    "StoredStatement": {
        "type": "object",
        "description": "A statement as stored: the server has set id, stored, authority and version.",
        "required": ["id", "actor", "verb", "object", "stored", "authority", "version", "timestamp"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "stored": {"type": "string"},
            "timestamp": {"type": "string"},
            "authority": {"type": "object"},
            "version": {"type": "string"},
        },
    },
    "StatementResult": {
        "type": "object",
        "required": ["statements", "more"],
        "properties": {
            "statements": {"type": "array", "items": _ref("StoredStatement"), "maxItems": MAX_LIMIT},
            "more": {
                "type": "string",
                "description": "Relative URL of the next page, or empty when there is none.",
            },
        },
        "additionalProperties": False,
    },
    "RunProgress": {
        "type": "object",
        "description": "A retraining run's status and per-stage progress (polled by the run page).",
        "required": ["id", "status", "open", "stages", "log"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
            "status_label": {"type": "string"},
            "open": {"type": "boolean"},
            "trigger": {"type": "string"},
            "error": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": "string", "format": "date-time", "nullable": True},
            "stages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "status", "progress", "percent"],
                    "properties": {
                        "name": {"type": "string"},
                        "label": {"type": "string"},
                        "status": {"type": "string"},
                        "progress": {"type": "number", "minimum": 0, "maximum": 1},
                        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
                        "message": {"type": "string"},
                        "workers": {"type": "array"},
                    },
                },
            },
            "log": {"type": "string", "description": "The last lines of the run's log."},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": ["ok"]}},
    },
}

VERSION_PARAMETER = {
    "name": "X-Experience-API-Version",
    "in": "header",
    "required": True,
    "description": "xAPI version of the request; 1.0.x is accepted (else 400).",
    "schema": {"type": "string", "example": "1.0.3"},
}
STATEMENT_ID = {
    "name": "statementId",
    "in": "query",
    "description": "The statement's UUID.",
    "schema": {"type": "string", "format": "uuid"},
}


STORE_HEADERS = {
    "X-EduRSFT-Statements-Stored": {
        "description": "How many of the statements were new (the rest were already stored).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-EduRSFT-Learning-Records": {
        "description": "How many learning records the new statements made: answers (with a result) "
        "by an Agent about an item or skill this site knows; other statements, and answers whose "
        "actor is a Group (no one learner to credit), are stored without one.",
        "schema": {"type": "integer", "minimum": 0},
    },
}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or {"type": "string"}}


def document() -> dict[str, Any]:
    """The OpenAPI 3.0 document, as a plain dict."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "EduRSFT API",
            "version": "1.0.0",
            "description": "xAPI 1.0.3 Statement resource for learning tools, and the health check. "
            f"At most {settings.XAPI_MAX_BATCH} statements per POST and "
            f"{settings.XAPI_RATE_LIMIT_PER_MINUTE} requests per client per minute.",
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "clientCredentials": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "Key and secret of a registered xAPI client "
                    "(manage.py create_xapi_client NAME [--scope SCOPE ...]); revoked clients get 401. "
                    "Each client has xAPI 1.0.3 scopes (Communication 4.2), set by a school admin: "
                    "statements/write to POST and PUT; statements/read/mine to GET only the statements "
                    "it stored itself, or statements/read to GET every client's. Without a choice a client "
                    "gets statements/write and statements/read/mine, xAPI's default. A client with "
                    "statements/write voids only the statements it stored; with statements/read too, any.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sessionid",
                    "description": "The site's sign-in session (pages for people, not tools).",
                },
            },
            "headers": {
                "Version": {"description": "The server's xAPI version.", "schema": {"type": "string"}},
            },
        },
        "paths": {
            "/xapi/statements": {
                "parameters": [VERSION_PARAMETER],
                "post": {
                    "summary": "Store one statement or a batch, all or nothing",
                    "description": "Takes no query parameter: any is 400, naming it. A voided verb with a "
                    "StatementRef voids the statement it names: one this client stored, or any with "
                    "statements/read (else 403). A voiding sent before its target is honoured when the "
                    "target arrives, under the same rule.",
                    "operationId": "postStatements",
                    "security": [{"clientCredentials": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        _ref("Statement"),
                                        {
                                            "type": "array",
                                            "items": _ref("Statement"),
                                            "minItems": 1,
                                            "maxItems": settings.XAPI_MAX_BATCH,
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": {"type": "string", "format": "uuid"}},
                            "The ids of the statements, in request order (stored or already present).",
                            STORE_HEADERS,
                        ),
                        **_errors(400, 401, 403, 409, 413, 429),
                    },
                },
                "put": {
                    "summary": "Store one statement under the given id",
                    "description": "Takes statementId alone: any other query parameter is 400, naming it. "
                    "A voiding statement follows the rule of POST.",
                    "operationId": "putStatement",
                    "security": [{"clientCredentials": []}],
                    "parameters": [{**STATEMENT_ID, "required": True}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Statement")}},
                    },
                    "responses": {
                        "204": {
                            "description": "Stored, or already stored with the same content.",
                            "headers": {
                                "X-Experience-API-Version": {"$ref": "#/components/headers/Version"},
                                **STORE_HEADERS,
                            },
                        },
                        **_errors(400, 401, 403, 409, 429),
                    },
                },
                "get": {
                    "summary": "One statement by id, or a filtered page of statements (newest first)",
                    "description": "Any other query parameter is 400, naming it. Only the statements "
                    "the client may read are searched and returned, by id, by filter and on `more` pages: "
                    "with statements/read/mine those it stored, with statements/read all.",
                    "operationId": "getStatements",
                    "security": [{"clientCredentials": []}],
                    "parameters": [
                        STATEMENT_ID,
                        {
                            **STATEMENT_ID,
                            "name": "voidedStatementId",
                            "description": "A voided statement's id.",
                        },
                        _query("agent", "JSON-encoded Agent or Group."),
                        _query("verb", "Verb IRI."),
                        _query("activity", "Activity IRI."),
                        _query("registration", "Registration UUID.", {"type": "string", "format": "uuid"}),
                        _query(
                            "since",
                            "Stored strictly after (ISO 8601).",
                            {"type": "string", "format": "date-time"},
                        ),
                        _query(
                            "until",
                            "Stored at or before (ISO 8601).",
                            {"type": "string", "format": "date-time"},
                        ),
                        _query(
                            "limit",
                            f"Page size; 0 or absent means the maximum ({MAX_LIMIT}).",
                            {"type": "integer", "minimum": 0},
                        ),
                        _query("ascending", "Oldest first when true.", {"type": "boolean"}),
                        _query("cursor", "Opaque cursor from a previous page's `more` link."),
                        *(
                            _query(
                                name,
                                f"Only {value} is supported (else 400).",
                                {"type": "string", "enum": [value]},
                            )
                            for name, value in ONLY_VALUE.items()
                        ),
                    ],
                    "responses": {
                        "200": _json(
                            {"oneOf": [_ref("StatementResult"), _ref("StoredStatement")]},
                            "A StatementResult, or the single statement asked for by id.",
                        ),
                        **_errors(400, 401, 403, 404, 429),
                    },
                },
            },
            "/pipeline/runs/{run_id}/status.json": {
                "get": {
                    "summary": "A retraining run's progress (school admins, signed in)",
                    "operationId": "pipelineRunStatus",
                    "security": [{"session": []}],
                    "parameters": [
                        {
                            "name": "run_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 0},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The run's progress.",
                            "content": {"application/json": {"schema": _ref("RunProgress")}},
                        },
                        "302": {
                            "description": "Not signed in: redirect to the sign-in page.",
                            "headers": {"Location": {"schema": {"type": "string"}}},
                        },
                        "403": {"description": "Signed in, but not a school admin."},
                        "404": {"description": "No such run."},
                    },
                }
            },
            "/health": {
                "get": {
                    "summary": "Liveness: the database answers",
                    "operationId": "health",
                    "responses": {
                        "200": {
                            "description": "Up.",
                            "content": {"application/json": {"schema": _ref("Health")}},
                        }
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
    }


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    """Serve the document so clients and fuzzers read the same description the tests check."""
    return JsonResponse(document())
