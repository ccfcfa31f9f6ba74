"""Request concerns of the xAPI endpoints, stacked on plain function views.

Each returns one short JSON error with the right status, so the views below
hold only the action (the pattern of healthchecks' hc/api/decorators.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

from tutoring.xapi.credentials import authenticate_basic

XAPI_VERSION = "1.0.3"
View = Callable[..., HttpResponse]


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    response["X-Experience-API-Version"] = XAPI_VERSION
    return response


def xapi_version(view: View) -> View:
    """Require a 1.0.x X-Experience-API-Version header and echo ours."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        version = request.headers.get("X-Experience-API-Version", "")
        if not version.startswith("1.0"):
            return error(
                400, "the X-Experience-API-Version header must be 1.0.x", field="X-Experience-API-Version"
            )
        response = view(request, *args, **kwargs)
        response["X-Experience-API-Version"] = XAPI_VERSION
        return response

    return wrapper


def authorize_client(view: View) -> View:
    """HTTP Basic credentials of an active client into ``request.xapi_client``, else 401."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = authenticate_basic(request.headers.get("Authorization"))
        if client is None:
            response = error(401, "valid xAPI client credentials are required (HTTP Basic key:secret)")
            response["WWW-Authenticate"] = 'Basic realm="xAPI"'
            return response
        request.xapi_client = client
        return view(request, *args, **kwargs)

    return wrapper


def require_scope(view: View) -> View:
    """403 unless the client's scopes allow the method: GET needs a read scope, POST and PUT write."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = request.xapi_client
        if request.method == "GET":
            allowed, needed = client.may_read != client.Reads.NONE, "statements/read or statements/read/mine"
        else:
            allowed, needed = client.may_write, "statements/write"
        if not allowed:
            return error(403, f"this client lacks the {needed} scope; a school admin can grant it")
        return view(request, *args, **kwargs)

    return wrapper


def rate_limit(view: View) -> View:
    """At most XAPI_RATE_LIMIT_PER_MINUTE requests per client per minute, else 429."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = f"xapi-rate:{request.xapi_client.pk}"
        cache.add(key, 0, timeout=60)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=60)
            count = 1
        if count > settings.XAPI_RATE_LIMIT_PER_MINUTE:
            response = error(429, "too many requests from this client; retry in a minute")
            response["Retry-After"] = "60"
            return response
        return view(request, *args, **kwargs)

    return wrapper


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def parse_json(body: bytes) -> Any:
    """Strict JSON: no NaN or Infinity and no NUL characters, which PostgreSQL's jsonb cannot store."""
    parsed = json.loads(body, parse_float=_finite, parse_constant=_reject_constant)
    if b"\\u0000" in body and _has_nul(parsed):
        raise ValueError("strings must not contain the NUL character (\\u0000)")
    return parsed


def json_body(view: View) -> View:
    """Parse the body into ``request.json``; 400 when it is not JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in ("POST", "PUT"):
            try:
                request.json = parse_json(request.body or b"null")
            except (ValueError, UnicodeDecodeError, RecursionError) as problem:
                return error(400, f"the body is not valid JSON: {problem}", field="body")
        return view(request, *args, **kwargs)

    return wrapper
