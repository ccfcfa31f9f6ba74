"""Which statements an xAPI client may read and whether it may write (xAPI 1.0.3 scopes).

A tool with statements/read/mine sees only the statements it stored itself, as
if the others did not exist; statements/read sees every tool's; a tool without
statements/write cannot store (Communication 4.2).
"""

from __future__ import annotations

import base64
import json
import uuid
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from tests.factories import school_admin
from tutoring.models import AuditEvent, Statement, XapiClient
from tutoring.xapi.credentials import register_client

pytestmark = pytest.mark.django_db

ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def tool(client):
    """A caller for a newly registered client with the given scopes (the default ones when None)."""
    cache.clear()

    def make(name: str, scopes: list[str] | None = None):
        registered, secret = register_client(name) if scopes is None else register_client(name, scopes)
        token = base64.b64encode(f"{registered.key}:{secret}".encode()).decode()
        headers = {"HTTP_AUTHORIZATION": f"Basic {token}", "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}

        def call(method: str, body=None, url: str = "/xapi/statements", **params):
            """One request; ``url`` may carry its own query (a ``more`` link)."""
            if params:
                url += "?" + urlencode(params)
            if method == "get":
                return client.get(url, **headers)
            return getattr(client, method)(
                url, data=json.dumps(body), content_type="application/json", **headers
            )

        call.client = registered
        return call

    return make


def answer(email: str) -> dict:
    return {
        "actor": {"mbox": f"mailto:{email}", "name": email.split("@")[0]},
        "verb": {"id": ANSWERED},
        "object": {"id": "https://school.example/items/999999"},
        "result": {"success": True},
    }


def listed(call, **params) -> list[str]:
    return [s["id"] for s in call("get", **params).json()["statements"]]


def test_a_new_client_may_write_and_read_only_its_own_statements_by_default(tool):
    quiz = tool("quiz tool")
    assert quiz.client.scopes == ["statements/write", "statements/read/mine"]


def test_read_mine_lists_only_the_clients_own_statements(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    mine = quiz("post", answer("ada@example.org")).json()[0]
    video("post", answer("bob@example.org"))
    assert listed(quiz) == [mine]


def test_read_mine_filters_by_agent_only_among_its_own_statements(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    video("post", answer("ada@example.org"))
    assert listed(quiz, agent=json.dumps({"mbox": "mailto:ada@example.org"})) == []


def test_another_clients_statement_id_is_404_as_if_absent(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    theirs = video("post", answer("bob@example.org")).json()[0]
    response = quiz("get", statementId=theirs)
    assert response.status_code == 404 and "bob" not in response.content.decode()
    assert quiz("get", statementId=str(uuid.uuid4())).json() == response.json()


def test_another_clients_voided_statement_is_404_as_if_absent(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    theirs = video("post", answer("bob@example.org")).json()[0]
    void = {"actor": {"mbox": "mailto:t@example.org"}, "verb": {"id": VOIDED}}
    video("post", {**void, "object": {"objectType": "StatementRef", "id": theirs}})
    assert video("get", voidedStatementId=theirs).status_code == 200
    assert quiz("get", voidedStatementId=theirs).status_code == 404


def test_more_pages_hold_only_the_clients_own_statements(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    for n in range(3):
        quiz("post", answer(f"s{n}@example.org"))
        video("post", answer(f"t{n}@example.org"))
    page = quiz("get", limit=1).json()
    seen = [s["id"] for s in page["statements"]]
    while page["more"]:
        page = quiz("get", url=page["more"]).json()
        seen += [s["id"] for s in page["statements"]]
    assert len(seen) == 3
    assert set(Statement.objects.filter(id__in=seen).values_list("client", flat=True)) == {quiz.client.pk}


def test_read_all_sees_every_clients_statements(tool):
    dashboard = tool("dashboard", ["statements/read"])
    quiz, video = tool("quiz tool"), tool("video tool")
    ids = {call("post", answer("ada@example.org")).json()[0] for call in (quiz, video)}
    assert set(listed(dashboard)) == ids
    for statement_id in ids:
        assert dashboard("get", statementId=statement_id).status_code == 200


@pytest.mark.parametrize("method", ["post", "put"])
def test_a_client_without_write_scope_gets_403_and_stores_nothing(tool, method):
    dashboard = tool("dashboard", ["statements/read"])
    params = {"statementId": str(uuid.uuid4())} if method == "put" else {}
    response = dashboard(method, answer("ada@example.org"), **params)
    assert response.status_code == 403 and "statements/write" in response.json()["error"]
    assert Statement.objects.count() == 0


def test_a_client_without_read_scope_gets_403_on_get(tool):
    sender = tool("sender", ["statements/write"])
    sender("post", answer("ada@example.org"))
    response = sender("get")
    assert response.status_code == 403 and "statements/read" in response.json()["error"]


def test_statements_record_the_client_that_stored_them(tool):
    quiz = tool("quiz tool")
    statement_id = quiz("post", answer("ada@example.org")).json()[0]
    stored = Statement.objects.get(id=statement_id)
    assert stored.client == quiz.client
    assert stored.authority["account"]["name"] == quiz.client.key


def test_the_command_creates_a_client_with_the_scopes_it_is_given():
    out = StringIO()
    call_command("create_xapi_client", "dashboard", "--scope", "statements/read", stdout=out)
    printed = json.loads(out.getvalue())
    client = XapiClient.objects.get(name="dashboard")
    assert printed["scopes"] == client.scopes == ["statements/read"]
    assert not client.may_write


def test_the_command_gives_the_xapi_default_scopes_when_none_are_named():
    call_command("create_xapi_client", "quiz tool", stdout=StringIO())
    assert XapiClient.objects.get(name="quiz tool").scopes == ["statements/write", "statements/read/mine"]


def test_the_command_refuses_an_unknown_scope():
    with pytest.raises(CommandError, match="statements/read/mine"):
        call_command("create_xapi_client", "quiz tool", "--scope", "all")
    assert not XapiClient.objects.exists()


def test_an_admin_changes_a_clients_scopes_and_the_change_is_audited(client, tool):
    quiz = tool("quiz tool")
    client.force_login(school_admin(user__username="head"))
    response = client.post(
        f"/admin/tutoring/xapiclient/{quiz.client.pk}/change/",
        {"name": "quiz tool", "is_active": "on", "may_write": "on", "may_read": "all"},
    )
    assert response.status_code == 302
    quiz.client.refresh_from_db()
    assert quiz.client.scopes == ["statements/write", "statements/read"]
    event = AuditEvent.objects.get(action="xapi_client.scopes")
    assert event.actor_name == "head" and event.details["scopes"] == quiz.client.scopes
