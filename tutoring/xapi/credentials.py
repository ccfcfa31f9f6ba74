"""Credentials of xAPI client applications (HTTP Basic key and secret).

Secrets are 256-bit random tokens, so a single SHA-256 is enough to make a
stolen database useless (the same reasoning as API tokens elsewhere); a slow
password hash would cost ~100 ms on every request of a high-volume API.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from tutoring.audit import record_event
from tutoring.models import XapiClient

WRITE, READ_MINE, READ_ALL = "statements/write", "statements/read/mine", "statements/read"
SCOPES = (WRITE, READ_MINE, READ_ALL)
# xAPI 1.0.3, Communication 4.2: "The LRS MUST assume a requested scope of statements/write
# and statements/read/mine if no scope is specified."
DEFAULT_SCOPES = (WRITE, READ_MINE)


def hash_secret(secret: str) -> str:
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def permissions_for(scopes: Iterable[str]) -> dict[str, object]:
    """The client fields that grant these xAPI scopes; statements/read includes read/mine."""
    wanted = set(scopes)
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}")
    reads = XapiClient.Reads
    may_read = reads.ALL if READ_ALL in wanted else reads.MINE if READ_MINE in wanted else reads.NONE
    return {"may_write": WRITE in wanted, "may_read": may_read}


def issue_credentials(client: XapiClient) -> str:
    """Give an unsaved client a new key and secret; the plain secret is returned once and never stored."""
    secret = secrets.token_urlsafe(32)
    client.key = secrets.token_hex(16)
    client.secret_hash = hash_secret(secret)
    return secret


@transaction.atomic
def register_client(name: str, scopes: Iterable[str] = DEFAULT_SCOPES) -> tuple[XapiClient, str]:
    """Create a client with these scopes; the plain secret is returned once and never stored."""
    client = XapiClient(name=name, **permissions_for(scopes))
    secret = issue_credentials(client)
    client.save()
    record_event(None, "xapi_client.created", client.name, key=client.key, scopes=client.scopes)
    return client, secret


def revoke_client(client: XapiClient) -> None:
    client.is_active = False
    client.revoked_at = timezone.now()
    client.save(update_fields=["is_active", "revoked_at"])


def authenticate_basic(header: str | None) -> XapiClient | None:
    """The active client whose key and secret are in an HTTP Basic header, else None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        key, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client = XapiClient.objects.filter(key=key, is_active=True).first()
    if client is None or not hmac.compare_digest(client.secret_hash, hash_secret(secret)):
        return None
    return client
