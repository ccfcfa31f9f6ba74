"""Fuzzing the site against its own OpenAPI document (schemathesis).

Every generated request, valid or not, must get an answer the document
describes: never a 5xx, always a documented status, content type, headers and
body shape.
"""

import base64

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tutoring.xapi.credentials import register_client

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def basic_auth(db):
    """A registered client's header; requests stay inside the test's transaction."""
    # Django's own test client does the same: closing "old" connections around
    # each request would end the test transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    client, secret = register_client("fuzzer")
    yield "Basic " + base64.b64encode(f"{client.key}:{secret}".encode()).decode()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_requests_get_documented_answers_and_never_a_server_error(case, basic_auth):
    response = case.call(headers={"Authorization": basic_auth})
    case.validate_response(response, checks=CHECKS)
