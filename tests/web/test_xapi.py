"""The xAPI Statement resource, as xAPI 1.0.3 specifies it."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from tests.factories import ItemFactory, SkillFactory
from tutoring.models import LearningRecord, Profile, Statement
from tutoring.xapi.credentials import register_client, revoke_client

pytestmark = pytest.mark.django_db

ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def credentials():
    client, secret = register_client("maths tool")
    token = base64.b64encode(f"{client.key}:{secret}".encode()).decode()
    return client, {"HTTP_AUTHORIZATION": f"Basic {token}", "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}


@pytest.fixture
def xapi(client, credentials):
    _, headers = credentials

    def call(method: str, body=None, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        url = "/xapi/statements" + (f"?{query}" if query else "")
        data = json.dumps(body) if body is not None and not isinstance(body, str) else body
        return getattr(client, method)(url, data=data, content_type="application/json", **headers)

    return call


def answer(
    item_id: int | None = None, *, success: bool = True, email: str = "ada@example.org", **extra
) -> dict:
    statement = {
        "actor": {"mbox": f"mailto:{email}", "name": "Ada"},
        "verb": {"id": ANSWERED, "display": {"en-GB": "answered"}},
        "object": {"id": f"https://school.example/items/{item_id if item_id else 999999}"},
        "result": {"success": success, "response": "7/8"},
    }
    statement.update(extra)
    return statement


def test_statement_without_id_gets_one_and_is_stored(xapi):
    response = xapi("post", answer())
    assert response.status_code == 200
    ids = response.json()
    assert len(ids) == 1 and uuid.UUID(ids[0])
    stored = Statement.objects.get(id=ids[0])
    assert stored.data["id"] == ids[0]
    assert stored.data["authority"]["account"]["name"]
    assert response["X-Experience-API-Version"] == "1.0.3"


def test_same_id_same_content_stores_nothing_new(xapi):
    statement = answer(id=str(uuid.uuid4()))
    first = xapi("post", statement)
    second = xapi("post", statement)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Statement.objects.count() == 1


def test_same_id_different_content_is_a_conflict(xapi):
    statement_id = str(uuid.uuid4())
    assert xapi("post", answer(id=statement_id)).status_code == 200
    response = xapi("post", answer(id=statement_id, success=False))
    assert response.status_code == 409
    assert response.json()["field"] == "id"
    assert Statement.objects.get(id=statement_id).data["result"]["success"] is True


def test_batch_is_all_or_nothing(xapi):
    good = answer(id=str(uuid.uuid4()))
    bad = answer()
    del bad["verb"]
    response = xapi("post", [good, bad])
    assert response.status_code == 400
    assert response.json()["statement_index"] == 1
    assert Statement.objects.count() == 0


def test_conflict_inside_a_batch_rolls_back_the_new_ones(xapi):
    existing = str(uuid.uuid4())
    xapi("post", answer(id=existing))
    response = xapi("post", [answer(id=str(uuid.uuid4())), answer(id=existing, success=False)])
    assert response.status_code == 409
    assert response.json()["statement_index"] == 1
    assert Statement.objects.count() == 1


def test_answer_to_an_item_becomes_a_learning_record(xapi):
    skill = SkillFactory(name="Equivalent Fractions")
    item = ItemFactory(skills=[skill])
    response = xapi("post", answer(item.pk, success=False))
    record = LearningRecord.objects.get()
    assert record.item == item and record.correct is False and record.response == "7/8"
    assert str(record.statement_id) == response.json()[0]
    assert record.student.profile.external_id == "xapi:mailto:ada@example.org"


def test_answer_naming_a_skill_category_becomes_a_record_for_that_skill(xapi):
    skill = SkillFactory(name="Circle Graph")
    statement = answer(
        context={"contextActivities": {"category": [{"id": "https://school.example/skills/Circle%20Graph"}]}}
    )
    xapi("post", statement)
    assert LearningRecord.objects.get().skill == skill


def test_a_single_category_activity_is_stored_as_a_list_and_names_the_skill(xapi):
    skill = SkillFactory(name="Circle Graph")
    category = {"id": "https://school.example/skills/Circle%20Graph"}
    response = xapi("post", answer(context={"contextActivities": {"category": category}}))
    assert response.status_code == 200
    assert LearningRecord.objects.get().skill == skill
    stored = xapi("get", statementId=response.json()[0]).json()
    assert stored["context"]["contextActivities"]["category"] == [category]


def test_statement_about_unknown_activity_is_kept_without_a_record(xapi):
    assert xapi("post", answer()).status_code == 200
    assert Statement.objects.count() == 1
    assert LearningRecord.objects.count() == 0


def test_an_item_id_too_long_for_any_key_is_an_unknown_activity_not_a_server_error(xapi):
    response = xapi("post", answer(object={"id": "https://school.example/items/" + "9" * 25}))
    assert response.status_code == 200 and response["X-EduRSFT-Learning-Records"] == "0"
    assert Statement.objects.count() == 1


def test_a_group_answering_makes_no_student_and_no_record(xapi):
    item = ItemFactory()
    group = {"objectType": "Group", "name": "Table 3", "member": [{"mbox": "mailto:a@example.org"}]}
    response = xapi("post", answer(item.pk, actor=group))
    assert response.status_code == 200 and response["X-EduRSFT-Learning-Records"] == "0"
    assert LearningRecord.objects.count() == 0 and not Profile.objects.exists()


def test_the_response_says_how_many_statements_became_learning_records(xapi):
    item = ItemFactory()
    known, unknown = answer(item.pk, id=str(uuid.uuid4())), answer()
    response = xapi("post", [known, unknown])
    assert response["X-EduRSFT-Statements-Stored"] == "2"
    assert response["X-EduRSFT-Learning-Records"] == "1"
    again = xapi("put", known, statementId=known["id"])
    assert again.status_code == 204
    assert (again["X-EduRSFT-Statements-Stored"], again["X-EduRSFT-Learning-Records"]) == ("0", "0")


def test_voiding_marks_target_voided_and_removes_its_record(xapi):
    item = ItemFactory()
    target = xapi("post", answer(item.pk)).json()[0]
    assert LearningRecord.objects.count() == 1
    voiding = {
        "actor": {"mbox": "mailto:teacher@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
    }
    assert xapi("post", voiding).status_code == 200
    assert Statement.objects.get(id=target).voided is True
    assert LearningRecord.objects.count() == 0
    assert xapi("get", statementId=target).status_code == 404
    assert xapi("get", voidedStatementId=target).json()["id"] == target
    listed = [s["id"] for s in xapi("get").json()["statements"]]
    assert target not in listed


def test_voiding_before_the_target_arrives_still_voids_it(xapi):
    target = str(uuid.uuid4())
    voiding = {
        "actor": {"mbox": "mailto:teacher@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
    }
    xapi("post", voiding)
    xapi("post", answer(id=target))
    assert Statement.objects.get(id=target).voided is True


def test_voiding_in_the_same_batch_as_the_target_leaves_no_record(xapi):
    item = ItemFactory()
    target = answer(item.pk, id=str(uuid.uuid4()))
    voiding = {
        "actor": {"mbox": "mailto:teacher@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }
    assert xapi("post", [target, voiding]).status_code == 200
    assert Statement.objects.get(id=target["id"]).voided is True
    assert LearningRecord.objects.count() == 0


def test_voiding_a_voiding_statement_of_the_same_batch_is_400(xapi):
    first = xapi("post", answer()).json()[0]
    void = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:t@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": first},
    }
    again = {**void, "id": str(uuid.uuid4()), "object": {"objectType": "StatementRef", "id": void["id"]}}
    response = xapi("post", [void, again])
    assert response.status_code == 400
    assert response.json()["statement_index"] == 1 and response.json()["field"] == "object.id"
    assert Statement.objects.count() == 1


def test_a_voiding_statement_cannot_be_voided(xapi):
    first = xapi("post", answer()).json()[0]
    void = {
        "actor": {"mbox": "mailto:t@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": first},
    }
    voiding_id = xapi("post", void).json()[0]
    again = {**void, "object": {"objectType": "StatementRef", "id": voiding_id}}
    response = xapi("post", again)
    assert response.status_code == 400 and response.json()["field"] == "object.id"


def test_put_stores_under_the_given_id(xapi):
    statement_id = str(uuid.uuid4())
    response = xapi("put", answer(), statementId=statement_id)
    assert response.status_code == 204
    assert Statement.objects.filter(id=statement_id).exists()


def test_put_with_a_different_id_in_the_body_is_rejected(xapi):
    response = xapi("put", answer(id=str(uuid.uuid4())), statementId=str(uuid.uuid4()))
    assert response.status_code == 400 and response.json()["field"] == "id"


def test_get_filters_by_agent_and_verb_and_pages_through_more_links(xapi, client, credentials):
    _, headers = credentials
    for n in range(5):
        xapi("post", answer(email=f"s{n % 2}@example.org"))
    agent = json.dumps({"mbox": "mailto:s0@example.org"})
    page = xapi("get", agent=agent, verb=ANSWERED, limit=2).json()
    seen = [s["id"] for s in page["statements"]]
    assert len(seen) == 2 and page["more"]
    while page["more"]:
        page = client.get(page["more"], **headers).json()
        seen += [s["id"] for s in page["statements"]]
    assert len(seen) == len(set(seen)) == 3
    assert {Statement.objects.get(id=i).actor_key for i in seen} == {"mailto:s0@example.org"}


def test_get_by_activity_returns_only_that_activity(xapi):
    item = ItemFactory()
    xapi("post", answer(item.pk))
    xapi("post", answer())
    page = xapi("get", activity=f"https://school.example/items/{item.pk}").json()
    assert [s["object"]["id"] for s in page["statements"]] == [f"https://school.example/items/{item.pk}"]


def test_bad_query_parameter_is_400_naming_it(xapi):
    response = xapi("get", since="last-week")
    assert response.status_code == 400 and response.json()["field"] == "since"


def test_missing_version_header_is_rejected(client, credentials):
    _, headers = credentials
    headers = {k: v for k, v in headers.items() if k != "HTTP_X_EXPERIENCE_API_VERSION"}
    response = client.post(
        "/xapi/statements", data=json.dumps(answer()), content_type="application/json", **headers
    )
    assert response.status_code == 400 and response.json()["field"] == "X-Experience-API-Version"


def test_wrong_credentials_are_refused(client):
    token = base64.b64encode(b"nobody:nothing").decode()
    response = client.get(
        "/xapi/statements", HTTP_AUTHORIZATION=f"Basic {token}", HTTP_X_EXPERIENCE_API_VERSION="1.0.3"
    )
    assert response.status_code == 401


def test_revoked_client_is_refused(xapi, credentials):
    client, _ = credentials
    revoke_client(client)
    assert xapi("get").status_code == 401


MALFORMED = [
    ("not an object", "statement", lambda s: "just text"),
    ("unknown property", "colour", lambda s: {**s, "colour": "blue"}),
    ("bad id", "id", lambda s: {**s, "id": "not-a-uuid"}),
    ("no actor", "actor", lambda s: {k: v for k, v in s.items() if k != "actor"}),
    ("actor without identifier", "actor", lambda s: {**s, "actor": {"name": "Ada"}}),
    (
        "actor with two identifiers",
        "actor",
        lambda s: {**s, "actor": {"mbox": "mailto:a@b.org", "openid": "https://id.example/a"}},
    ),
    ("mbox without mailto", "actor.mbox", lambda s: {**s, "actor": {"mbox": "ada@example.org"}}),
    (
        "account without homePage",
        "actor.account.homePage",
        lambda s: {**s, "actor": {"account": {"name": "ada"}}},
    ),
    ("no verb", "verb", lambda s: {k: v for k, v in s.items() if k != "verb"}),
    ("verb id not an IRI", "verb.id", lambda s: {**s, "verb": {"id": "answered"}}),
    (
        "verb display not a language map",
        "verb.display.en GB",
        lambda s: {**s, "verb": {"id": ANSWERED, "display": {"en GB": "answered"}}},
    ),
    ("no object", "object", lambda s: {k: v for k, v in s.items() if k != "object"}),
    ("object id not an IRI", "object.id", lambda s: {**s, "object": {"id": "item 4"}}),
    (
        "unknown objectType",
        "object.objectType",
        lambda s: {**s, "object": {"objectType": "Thing", "id": "urn:x:1"}},
    ),
    ("scaled score above 1", "result.score.scaled", lambda s: {**s, "result": {"score": {"scaled": 1.5}}}),
    (
        "raw score above max",
        "result.score.raw",
        lambda s: {**s, "result": {"score": {"raw": 11, "min": 0, "max": 10}}},
    ),
    ("success not boolean", "result.success", lambda s: {**s, "result": {"success": "yes"}}),
    ("bad duration", "result.duration", lambda s: {**s, "result": {"duration": "90 seconds"}}),
    ("bad timestamp", "timestamp", lambda s: {**s, "timestamp": "yesterday"}),
    ("bad registration", "context.registration", lambda s: {**s, "context": {"registration": "abc"}}),
    ("bad version", "version", lambda s: {**s, "version": "2.0.0"}),
    ("voiding without StatementRef", "object.objectType", lambda s: {**s, "verb": {"id": VOIDED}}),
    ("context statement as text", "context.statement", lambda s: {**s, "context": {"statement": "x"}}),
    (
        "context statement not a StatementRef",
        "context.statement.objectType",
        lambda s: {**s, "context": {"statement": {"id": str(uuid.uuid4())}}},
    ),
    ("team as text", "context.team", lambda s: {**s, "context": {"team": "7B"}}),
    (
        "team that is an Agent",
        "context.team.objectType",
        lambda s: {**s, "context": {"team": {"mbox": "mailto:a@b.org"}}},
    ),
    ("revision not text", "context.revision", lambda s: {**s, "context": {"revision": 5}}),
    ("platform not text", "context.platform", lambda s: {**s, "context": {"platform": []}}),
    ("attachment as text", "attachments[0]", lambda s: {**s, "attachments": ["x"]}),
    (
        "attachment without usageType",
        "attachments[0].usageType",
        lambda s: {**s, "attachments": [{"display": {"en": "x"}, "contentType": "text/plain"}]},
    ),
]


@pytest.mark.parametrize(("case", "field", "break_it"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_statement_is_400_naming_index_and_field(xapi, case, field, break_it):
    good = answer()
    response = xapi("post", [good, break_it(answer())])
    assert response.status_code == 400, case
    body = response.json()
    assert body["statement_index"] == 1
    assert body["field"] == field
    assert Statement.objects.count() == 0


def test_body_that_is_not_json_is_400(xapi):
    response = xapi("post", "{not json")
    assert response.status_code == 400 and response.json()["field"] == "body"


def test_duplicate_ids_within_a_batch_are_400(xapi):
    statement_id = str(uuid.uuid4())
    response = xapi("post", [answer(id=statement_id), answer(id=statement_id)])
    assert response.status_code == 400 and response.json() == {
        "error": "invalid statement",
        "statement_index": 1,
        "field": "id",
        "message": "appears more than once in this batch",
    }


def test_an_unknown_query_parameter_is_400_naming_it_not_ignored(xapi):
    xapi("post", answer(email="s0@example.org"))
    response = xapi("get", agnet=json.dumps({"mbox": "mailto:s1@example.org"}))
    assert response.status_code == 400 and response.json()["field"] == "agnet"


def test_a_parameter_with_a_statement_id_is_400(xapi):
    statement_id = xapi("post", answer()).json()[0]
    response = xapi("get", statementId=statement_id, verb=ANSWERED)
    assert response.status_code == 400 and response.json()["field"] == "verb"


def test_xapi_parameters_are_accepted_with_the_value_this_server_honours(xapi):
    statement_id = xapi("post", answer()).json()[0]
    assert xapi("get", statementId=statement_id, format="exact", attachments="false").status_code == 200
    response = xapi("get", related_activities="true")
    assert response.status_code == 400 and response.json()["field"] == "related_activities"


def test_ascending_must_be_true_or_false(xapi):
    response = xapi("get", ascending="yes")
    assert response.status_code == 400 and response.json()["field"] == "ascending"


def test_a_query_parameter_on_post_is_400_naming_it_and_stores_nothing(xapi):
    response = xapi("post", answer(), statementId=str(uuid.uuid4()))
    assert response.status_code == 400 and response.json()["field"] == "statementId"
    assert Statement.objects.count() == 0
