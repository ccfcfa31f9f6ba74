"""Which statements an xAPI client may read, write and void (xAPI 1.0.3 scopes).

A tool with statements/read/mine sees only the statements it stored itself, as
if the others did not exist; statements/read sees every tool's; a tool without
statements/write cannot store (Communication 4.2). A tool voids only the
statements it stored, unless it may read every tool's.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from tests.factories import ItemFactory, school_admin
from tutoring.models import AuditEvent, LearningRecord, Statement, XapiClient
from tutoring.xapi.credentials import authenticate_basic, register_client

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


def answer_to_item(email: str) -> dict:
    """An answer about an item this site knows, so it makes a learning record."""
    return {**answer(email), "object": {"id": f"https://school.example/items/{ItemFactory().pk}"}}


def voiding(target: str, **extra) -> dict:
    return {
        "actor": {"mbox": "mailto:teacher@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
        **extra,
    }


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


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
    event = AuditEvent.objects.get(action="xapi_client.created")
    assert (event.actor_name, event.target, event.details["key"]) == ("system", "dashboard", client.key)


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


def test_a_client_may_void_a_statement_it_stored_even_without_a_read_scope(tool):
    sender = tool("sender", ["statements/write"])
    target = sender("post", answer_to_item("ada@example.org")).json()[0]
    assert sender("post", voiding(target)).status_code == 200
    assert Statement.objects.get(id=target).voided and not LearningRecord.objects.exists()


def test_voiding_another_clients_statement_is_403_naming_it_and_keeps_its_record(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    theirs = video("post", answer_to_item("bob@example.org")).json()[0]
    response = quiz("post", voiding(theirs))
    assert response.status_code == 403
    assert theirs in response.json()["error"] and response.json()["field"] == "object.id"
    assert not Statement.objects.get(id=theirs).voided and LearningRecord.objects.count() == 1


def test_a_refused_voiding_in_a_batch_stores_nothing_of_the_batch(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    theirs = video("post", answer("bob@example.org")).json()[0]
    mine = {**answer("ada@example.org"), "id": str(uuid.uuid4())}
    response = quiz("post", [mine, voiding(theirs)])
    assert response.status_code == 403 and response.json()["statement_index"] == 1
    assert list(Statement.objects.values_list("id", flat=True)) == [uuid.UUID(theirs)]


def test_a_refused_voiding_by_put_is_403(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    theirs = video("post", answer("bob@example.org")).json()[0]
    statement_id = str(uuid.uuid4())
    assert quiz("put", voiding(theirs), statementId=statement_id).status_code == 403
    assert not Statement.objects.filter(id=statement_id).exists()


def test_voiding_another_clients_voiding_statement_is_403_not_a_hint_at_its_content(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    their_void = video("post", voiding(video("post", answer("bob@example.org")).json()[0])).json()[0]
    assert quiz("post", voiding(their_void)).status_code == 403


def test_a_client_with_read_all_and_write_may_void_any_clients_statement(tool):
    admin_tool = tool("school admin tool", ["statements/write", "statements/read"])
    quiz = tool("quiz tool")
    theirs = quiz("post", answer_to_item("ada@example.org")).json()[0]
    assert admin_tool("post", voiding(theirs)).status_code == 200
    assert Statement.objects.get(id=theirs).voided and not LearningRecord.objects.exists()


def test_a_voiding_sent_before_another_clients_statement_does_not_void_it(tool):
    quiz, video = tool("quiz tool"), tool("video tool")
    target = str(uuid.uuid4())
    assert quiz("post", voiding(target)).status_code == 200
    assert video("post", {**answer_to_item("bob@example.org"), "id": target}).status_code == 200
    assert not Statement.objects.get(id=target).voided and LearningRecord.objects.count() == 1


def test_a_read_all_clients_voiding_sent_before_the_statement_voids_it_on_arrival(tool):
    admin_tool = tool("school admin tool", ["statements/write", "statements/read"])
    quiz = tool("quiz tool")
    target = str(uuid.uuid4())
    admin_tool("post", voiding(target))
    quiz("post", {**answer_to_item("ada@example.org"), "id": target})
    assert Statement.objects.get(id=target).voided and not LearningRecord.objects.exists()


def test_another_clients_id_with_other_content_is_409_whoever_stored_it(tool):
    """Ids are unique in the whole store, so a write cannot hide that one is taken (only GET can)."""
    quiz, video = tool("quiz tool"), tool("video tool")
    theirs = video("post", answer("bob@example.org")).json()[0]
    response = quiz("post", {**answer("ada@example.org"), "id": theirs})
    assert response.status_code == 409 and "bob" not in response.content.decode()


def test_adding_a_client_in_the_admin_shows_working_credentials_once(client):
    client.force_login(school_admin(user__username="head"))
    response = client.post(
        "/admin/tutoring/xapiclient/add/",
        {"name": "quiz tool", "may_write": "on", "may_read": "mine"},
        follow=True,
    )
    shown = " ".join(str(m) for m in response.context["messages"])
    key, secret = re.search(r"key: (\S+) — secret: (\S+) ", shown).groups()
    added = XapiClient.objects.get(name="quiz tool")
    assert authenticate_basic(basic(key, secret)) == added
    assert secret not in client.get(f"/admin/tutoring/xapiclient/{added.pk}/change/").content.decode()
    event = AuditEvent.objects.get(action="xapi_client.created")
    assert event.actor_name == "head" and event.details == {"key": key, "scopes": added.scopes}


def test_the_admin_add_form_asks_only_for_the_name_and_scopes(client):
    client.force_login(school_admin())
    form = client.get("/admin/tutoring/xapiclient/add/").context["adminform"].form
    assert set(form.fields) == {"name", "may_write", "may_read"}
