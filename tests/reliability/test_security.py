"""Who gets in: sign-in lockout, CSRF, client revocation, rate limits, deploy settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import UserFactory, school_admin
from tests.fixtures.reliability import basic_header
from tutoring.models import AuditEvent
from tutoring.xapi.credentials import register_client

ROOT = Path(__file__).resolve().parents[2]
# Views that take no browser form and authenticate every request themselves.
CSRF_EXEMPT = {"tutoring.xapi.views.statements"}


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_password(client):
    UserFactory(username="ada")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "ada", "password": "guess"})
    response = client.post("/accounts/login/", {"username": "ada", "password": "correct-horse-battery"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_in_form_refuses_a_post_without_csrf_token():
    UserFactory(username="ada")
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/accounts/login/", {"username": "ada", "password": "correct-horse-battery"})
    assert response.status_code == 403


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_view_except_the_xapi_api_skips_csrf_protection():
    exempt = {
        f"{view.__module__}.{view.__name__}"
        for _, view in _views(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False)
    }
    assert exempt <= CSRF_EXEMPT


@pytest.mark.django_db
def test_passwords_are_stored_with_djangos_default_slow_hash():
    user = UserFactory(username="ada")
    assert user.password.startswith("pbkdf2_sha256$")
    assert "correct-horse-battery" not in user.password


@pytest.mark.django_db
def test_client_revoked_in_the_admin_gets_401(client, xapi_client, post_statements):
    tool, _ = xapi_client
    client.force_login(school_admin(user__username="head"))
    client.post("/admin/tutoring/xapiclient/", {"action": "revoke_clients", "_selected_action": [tool.pk]})
    tool.refresh_from_db()
    assert not tool.is_active and tool.revoked_at
    assert post_statements([]).status_code == 401
    assert AuditEvent.objects.get(action="xapi_client.revoked").actor_name == "head"


@pytest.mark.django_db
def test_ingestion_beyond_the_rate_limit_gets_429_with_retry_after(client, xapi_client, settings):
    settings.XAPI_RATE_LIMIT_PER_MINUTE = 3
    header = basic_header(*xapi_client)
    statuses = [
        client.get("/xapi/statements", HTTP_AUTHORIZATION=header, HTTP_X_EXPERIENCE_API_VERSION="1.0.3")
        for _ in range(4)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[-1]["Retry-After"] == "60"


@pytest.mark.django_db
def test_rate_limits_are_counted_per_client(client, xapi_client, settings):
    settings.XAPI_RATE_LIMIT_PER_MINUTE = 1
    headers = [basic_header(*xapi_client), basic_header(*register_client("another tool"))]
    codes = [
        client.get(
            "/xapi/statements", HTTP_AUTHORIZATION=h, HTTP_X_EXPERIENCE_API_VERSION="1.0.3"
        ).status_code
        for h in headers
    ]
    assert codes == [200, 200]


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "edursft.example.org",
        "EDURSFT_VAR_DIR": str(ROOT / "var"),
    }
    env.pop("DATABASE_URL", None)
    # Browser tests in the same session allow async-unsafe ORM use; production never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
