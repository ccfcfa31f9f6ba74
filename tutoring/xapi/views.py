"""The xAPI Statement resource: POST, PUT and GET /xapi/statements."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tutoring.xapi.decorators import (
    authorize_client,
    error,
    json_body,
    rate_limit,
    require_scope,
    xapi_version,
)
from tutoring.xapi.selectors import QueryError, check_parameters, query_statements, single_statement
from tutoring.xapi.services import StatementConflict, VoidingRefused, store_statements
from tutoring.xapi.validation import StatementError

STORED_HEADER = "X-EduRSFT-Statements-Stored"
RECORDS_HEADER = "X-EduRSFT-Learning-Records"


def _store(request: HttpRequest, statements: list, put_id: str | None = None) -> HttpResponse:
    if len(statements) > settings.XAPI_MAX_BATCH:
        return error(413, f"at most {settings.XAPI_MAX_BATCH} statements per request", field="body")
    try:
        result = store_statements(statements, request.xapi_client, put_id=put_id)
    except StatementError as problem:
        return JsonResponse(problem.as_json(), status=400)
    except StatementConflict as conflict:
        return error(409, str(conflict), statement_index=conflict.index, field="id")
    except VoidingRefused as refused:
        return error(403, str(refused), statement_index=refused.index, field="object.id")
    response = HttpResponse(status=204) if put_id is not None else JsonResponse(result.ids, safe=False)
    # xAPI fixes the body; these tell a tool how many statements were new and how many became
    # learning records, so answers about unknown items or without a result are not lost unseen.
    response[STORED_HEADER] = str(result.created)
    response[RECORDS_HEADER] = str(result.records)
    return response


def _get(request: HttpRequest) -> HttpResponse:
    params = request.GET.dict()
    try:
        check_parameters(params)
        for name, voided in (("statementId", False), ("voidedStatementId", True)):
            if name in params:
                found = single_statement(params[name], request.xapi_client, voided=voided)
                return JsonResponse(found) if found else error(404, "no such statement", field=name)
        page = query_statements(params, request.xapi_client)
    except QueryError as problem:
        return error(400, problem.message, field=problem.parameter)
    more = ""
    if page.cursor:
        more = request.path + "?" + urlencode({**params, "cursor": page.cursor})
    return JsonResponse({"statements": page.statements, "more": more})


@csrf_exempt
@require_http_methods(["GET", "POST", "PUT"])
@xapi_version
@authorize_client
@rate_limit
@require_scope
@json_body
def statements(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _get(request)
    allowed = {"statementId"} if request.method == "PUT" else set()
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        return error(400, f"{request.method} takes no {unknown[0]} parameter", field=unknown[0])
    if request.method == "PUT":
        statement_id = request.GET.get("statementId")
        if not statement_id:
            return error(400, "PUT needs the statementId parameter", field="statementId")
        if not isinstance(request.json, dict):
            return error(400, "PUT takes exactly one statement object", field="body")
        try:
            put_id = str(uuid.UUID(statement_id))
        except ValueError:
            return error(400, "statementId must be a UUID", field="statementId")
        return _store(request, [request.json], put_id=put_id)
    body = request.json
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not body:
        return error(400, "the body must be a statement or a non-empty list of statements", field="body")
    return _store(request, body)
