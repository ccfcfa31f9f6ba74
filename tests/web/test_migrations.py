"""Data migrations: what existing rows become when a migration adds a rule.

Each test migrates the test database back to the state before the migration,
writes rows there with the historical models, migrates forward and checks them;
the database is returned to the latest state afterwards.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _migrate(targets: list[tuple[str, str]]):
    """Migrate to ``targets`` and return the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def at_migration():
    """Go to a tutoring migration; back to the latest migrations when the test ends."""
    yield lambda name: _migrate([("tutoring", name)])
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _statement(apps, key: str, client=None):
    authority = {"objectType": "Agent", "account": {"homePage": "urn:edursft:xapi-client", "name": key}}
    return apps.get_model("tutoring", "Statement").objects.create(
        data={"authority": authority},
        content_hash="0" * 64,
        actor_key="mailto:ada@example.org",
        verb_id="http://adlnet.gov/expapi/verbs/answered",
        timestamp=NOW,
        stored=NOW,
        authority=authority,
        client=client,
    )


def test_existing_clients_keep_writing_and_read_only_their_own_statements(at_migration):
    old = at_migration("0005_lean_ingest_indexes")
    quiz = old.get_model("tutoring", "XapiClient").objects.create(name="quiz tool", key="k1", secret_hash="x")
    linked = _statement(old, "k1", client=quiz)
    unlinked = _statement(old, "k1")
    unknown = _statement(old, "a-deleted-client")

    new = at_migration("0006_xapi_client_scopes")
    client = new.get_model("tutoring", "XapiClient").objects.get(pk=quiz.pk)
    assert client.may_write and client.may_read == "mine"
    owners = dict(new.get_model("tutoring", "Statement").objects.values_list("id", "client_id"))
    assert owners == {linked.id: quiz.pk, unlinked.id: quiz.pk, unknown.id: None}
    event = new.get_model("tutoring", "AuditEvent").objects.get(action="xapi_client.scopes")
    assert event.target == "quiz tool"
    assert event.details["scopes"] == ["statements/write", "statements/read/mine"]


def test_existing_recommendation_lists_count_as_computed_when_their_rows_were(at_migration):
    old = at_migration("0006_xapi_client_scopes")
    User = old.get_model("auth", "User")
    sam, sue = User.objects.create(username="sam"), User.objects.create(username="sue")
    skill = old.get_model("tutoring", "Skill").objects.create(name="Fractions")
    item = old.get_model("tutoring", "Item").objects.create(text="1/2 + 1/4?")
    item.skills.add(skill)
    row = old.get_model("tutoring", "Recommendation").objects.create(
        student=sam, item=item, rank=1, score=0.5, reason="Practise fractions"
    )

    new = at_migration("0007_recommendation_lists")
    lists = new.get_model("tutoring", "RecommendationList").objects
    assert lists.get(student_id=sam.pk).computed_at == row.created_at
    assert not lists.filter(student_id=sue.pk).exists()
