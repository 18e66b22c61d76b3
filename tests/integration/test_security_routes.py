"""Every route checks who is asking: anonymous users and wrong roles are refused; forms need CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from services.api.users import Role
from shared import migrate
from shared.db import Database
from tests.staff import csrf_from, log_in, staff_client

# Routes anyone may call, each with the reason.
PUBLIC = {
    "/": "redirects to a page that checks",
    "/login": "the way in",
    "/logout": "ends a session; harmless without one",
    "/language": "stores a language choice in the session",
    "/healthz": "liveness probe",
    "/readyz": "readiness probe",
    "/metrics": "Prometheus scrape: counts only",
    "/api/docs": "describes the API, holds no data",
    "/api/openapi.json": "describes the API, holds no data",
    "/form": "the public web form for citizens",
    "/api/v1/intake/webform": "the public web form's API (rate-limited)",
    "/api/v1/intake/webhook/{source}": "signed per integration (HMAC)",
}


def _roles(route: RouteContext) -> frozenset[str] | None:
    """The roles a route's dependencies let through, or None if it has no role check."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        allowed = getattr(dependency.call, "allowed_roles", None)
        if allowed is not None:
            return allowed
        pending.extend(dependency.dependencies)
    return None


def _checked_routes() -> list[tuple[str, str, frozenset[str]]]:
    from services.api.app import create_app
    from shared.settings import Settings

    app = create_app(Settings(), Database("sqlite://"))
    found = []
    # FastAPI keeps included routers nested; iter_route_contexts flattens them with their dependencies.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path in PUBLIC:
            continue
        roles = _roles(route)
        assert roles is not None, f"{route.path} checks no role and is not listed as public"
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, route.path, roles))
    return found


CHECKED = _checked_routes()


def _url(path: str) -> str:
    """The path with 1 for every id (whether or not that row exists: the identity check comes first)."""
    return re.sub(r"\{(\w+)\}", "1", path)


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    """An anonymous client and one logged-in client per role, on one app (logging in is slow on purpose)."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('routes') / 'signaal.db'}")
    migrate.upgrade(database.engine)
    with staff_client(database) as anonymous:
        others = {role.value: TestClient(anonymous.app, base_url="http://127.0.0.1") for role in Role}
        for role, client in others.items():
            log_in(client, role)
        yield {"anonymous": anonymous, **others}
    database.dispose()


def _call(client: TestClient, method: str, path: str) -> tuple[int, str]:
    """Call with a valid CSRF token, so only the identity check can refuse."""
    token = csrf_from(client.get("/login").text)
    response = client.request(
        method,
        _url(path),
        headers={"X-CSRF-Token": token},
        data={"csrf_token": token} if not path.startswith("/api/") else None,
        follow_redirects=False,
    )
    return response.status_code, response.headers.get("location", "")


def test_the_walk_finds_the_staff_routes() -> None:
    paths = {path for _, path, _ in CHECKED}
    assert {"/queue", "/signals/{signal_id}", "/api/v1/signals", "/api/v1/tokens", "/admin"} <= paths


@pytest.mark.parametrize(("method", "path", "roles"), CHECKED, ids=[f"{m} {p}" for m, p, _ in CHECKED])
def test_the_anonymous_user_is_refused(
    clients: dict[str, TestClient], method: str, path: str, roles: frozenset[str]
) -> None:
    status, location = _call(clients["anonymous"], method, path)
    if path.startswith("/api/"):
        assert status == 401
    else:
        assert status == 303 and location.startswith("/login")


# Routes open to every signed-in role (e.g. "log out everywhere") have no wrong role to try.
ROLE_LIMITED = [(m, p, roles) for m, p, roles in CHECKED if any(r.value not in roles for r in Role)]


@pytest.mark.parametrize(
    ("method", "path", "roles"), ROLE_LIMITED, ids=[f"{m} {p}" for m, p, _ in ROLE_LIMITED]
)
def test_a_wrong_role_is_refused(
    clients: dict[str, TestClient], method: str, path: str, roles: frozenset[str]
) -> None:
    wrong = [role for role in Role if role.value not in roles]
    for role in wrong:
        status, _ = _call(clients[role.value], method, path)
        assert status == 403, f"{role.value} got {status} on {method} {path}"


POSTS = [(m, p) for m, p, _ in CHECKED if m != "GET"] + [
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/language"),
]


@pytest.mark.parametrize(("method", "path"), POSTS, ids=[p for _, p in POSTS])
def test_a_change_without_the_csrf_token_is_refused(
    clients: dict[str, TestClient], method: str, path: str
) -> None:
    response = clients["admin"].request(
        method, _url(path), data={"verdict": "confirm", "ids": "1"}, follow_redirects=False
    )
    assert response.status_code == 403


def test_a_post_with_another_sessions_csrf_token_is_refused(clients: dict[str, TestClient]) -> None:
    foreign = csrf_from(clients["anonymous"].get("/login").text)
    response = clients["admin"].post("/api/v1/signals/1/confirm", headers={"X-CSRF-Token": foreign})
    assert response.status_code == 403


def test_a_forbidden_page_explains_itself_in_dutch(clients: dict[str, TestClient]) -> None:
    response = clients["ops"].get("/queue")
    assert response.status_code == 403 and "Uw rol geeft geen toegang" in response.text
