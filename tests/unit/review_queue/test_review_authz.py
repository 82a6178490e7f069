"""Authorisation: unauthenticated 401, each role's forbidden actions 403 — on both backends."""

from __future__ import annotations

import re
from typing import Any

import pytest

from access import RateLimit
from tests.factories import luhn_complete
from tests.review_support import ReviewAppEnv

pytestmark = pytest.mark.asyncio

BODIES: dict[str, dict[str, Any]] = {
    "escalate": {"note": "please look"},
    "notes": {"body": "a note"},
    "lists": {"kind": "block", "entity": "card", "reason": "fraud ring"},
    "users": {"username": "newbie", "role": "analyst"},
    "tokens": {"name": "ci"},
}


def _operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    operations = []
    for path, methods in schema["paths"].items():
        for method in methods:
            concrete = re.sub(r"\{[^}]+\}", "1", path).replace("/users/1/", "/users/anna/")
            operations.append((method.upper(), concrete))
    return operations


def _body(path: str) -> dict[str, Any] | None:
    last = path.rstrip("/").split("/")[-1]
    return BODIES.get(last)


async def test_every_api_operation_needs_authentication(review_app: ReviewAppEnv) -> None:
    async with review_app.client() as client:
        schema = (await client.get("/openapi.json")).json()
        operations = _operations(schema)
        assert len(operations) >= 15
        for method, path in operations:
            for headers in (
                {},
                {"Authorization": "Bearer rs_notarealtoken"},
                {"Authorization": "Basic x"},
            ):
                response = await client.request(method, path, json=_body(path), headers=headers)
                assert response.status_code == 401, (method, path, headers, response.text)
                assert response.headers["www-authenticate"] == "Bearer"
                assert response.json()["error"]["code"] == "unauthenticated"


async def test_each_roles_forbidden_actions_answer_403(review_app: ReviewAppEnv) -> None:
    case_id, _ = review_app.open_case()
    case = f"/v1/reviews/{case_id}"
    forbidden = {
        "svc": [("GET", "/v1/reviews"), ("GET", case), ("POST", f"{case}/claim"),
                ("PUT", "/v1/rules/r1"), ("GET", "/v1/access/users")],
        "ada": [("POST", f"{case}/claim"), ("POST", f"{case}/approve"),
                ("POST", f"{case}/decline"), ("POST", f"{case}/escalate"),
                ("POST", f"{case}/notes"), ("POST", f"{case}/lists")],
        "anna": [("PUT", "/v1/rules/r1"), ("POST", "/v1/models/promote"),
                 ("GET", "/v1/access/users"), ("POST", "/v1/access/users"),
                 ("POST", "/v1/access/users/anna/tokens"), ("DELETE", "/v1/access/tokens/1")],
        "lea": [("POST", "/v1/models/promote"), ("GET", "/v1/access/users"),
                ("POST", "/v1/access/users")],
    }  # fmt: skip
    async with review_app.client() as client:
        for user, operations in forbidden.items():
            for method, path in operations:
                response = await client.request(
                    method, path, json=_body(path), headers=review_app.auth(user)
                )
                assert response.status_code == 403, (user, method, path, response.text)
                assert response.json()["error"]["code"] == "forbidden"
        # and what each may do
        allowed = [("lea", "PUT", "/v1/rules/r1"), ("ada", "POST", "/v1/models/promote"),
                   ("ada", "GET", "/v1/access/users"), ("ada", "GET", f"/v1/reviews/{case_id}"),
                   ("anna", "GET", "/v1/access/me")]  # fmt: skip
        for user, method, path in allowed:
            response = await client.request(method, path, headers=review_app.auth(user))
            assert response.status_code == 200, (user, method, path, response.text)
    with review_app.database.transaction() as session:
        denied = [
            r for r in review_app.service.audit.iter_records(session)
            if r["event_type"] == "access.denied"
        ]  # fmt: skip
    assert len(denied) == sum(len(ops) for ops in forbidden.values())


async def test_workflow_rules_answer_403(review_app: ReviewAppEnv) -> None:
    case_id, _ = review_app.open_case()
    big_id, _ = review_app.open_case(amount=500_000)
    anna, bob, lea = review_app.auth("anna"), review_app.auth("bob"), review_app.auth("lea")
    async with review_app.client() as client:
        assert (await client.post(f"/v1/reviews/{case_id}/claim", headers=anna)).status_code == 200
        escalated = await client.post(
            f"/v1/reviews/{case_id}/escalate", json={"note": "unsure"}, headers=anna
        )
        assert escalated.json()["case"]["status"] == "escalated"
        # an analyst cannot approve (or claim) their own escalation, nor anyone's
        response = await client.post(f"/v1/reviews/{case_id}/approve", headers=anna)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden_lead_only"
        assert (await client.post(f"/v1/reviews/{case_id}/claim", headers=bob)).status_code == 403
        # four eyes
        await client.post(f"/v1/reviews/{big_id}/claim", headers=bob)
        requested = await client.post(f"/v1/reviews/{big_id}/approve", headers=bob)
        assert requested.json()["case"]["status"] == "awaiting_approval"
        assert requested.json()["command_id"] is None
        assert (await client.post(f"/v1/reviews/{big_id}/claim", headers=anna)).status_code == 403
        await client.post(f"/v1/reviews/{big_id}/claim", headers=lea)
        final = await client.post(f"/v1/reviews/{big_id}/approve", headers=lea)
        assert final.status_code == 200 and final.json()["case"]["status"] == "approved"


async def test_cookie_sessions_need_the_csrf_token(review_app: ReviewAppEnv) -> None:
    case_id, _ = review_app.open_case()
    async with review_app.client() as client:
        csrf = await review_app.login(client, "anna")
        assert (await client.get("/v1/access/me")).json()["via"] == "session"
        refused = await client.post(f"/v1/reviews/{case_id}/claim")
        assert refused.status_code == 403
        accepted = await client.post(f"/v1/reviews/{case_id}/claim", headers={"X-CSRF-Token": csrf})
        assert accepted.status_code == 200
        wrong = await client.post(f"/v1/reviews/{case_id}/release", headers={"X-CSRF-Token": "x"})
        assert wrong.status_code == 403
        logout = await client.post("/logout", data={"csrf_token": csrf})
        assert logout.status_code == 303
        assert (await client.get("/v1/reviews")).status_code == 401


async def test_a_stolen_cookie_dies_with_logout(review_app: ReviewAppEnv) -> None:
    async with review_app.client() as client:
        csrf = await review_app.login(client, "bob")
        cookie = client.cookies.get("rs_session")
        await client.post("/logout", data={"csrf_token": csrf})
    async with review_app.client() as thief:
        thief.cookies.set("rs_session", cookie)
        assert (await thief.get("/v1/reviews")).status_code == 401
        page = await thief.get("/reviews")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_login_failures_are_refused_and_audited(review_app: ReviewAppEnv) -> None:
    async with review_app.client() as client:
        page = await client.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        bad = await client.post(
            "/login", data={"username": "anna", "password": "nope", "csrf_token": csrf}
        )
        assert bad.status_code == 401 and "Invalid user name or password" in bad.text
        no_csrf = await client.post(
            "/login", data={"username": "anna", "password": "x", "csrf_token": "forged"}
        )
        assert no_csrf.status_code == 403
        fresh = no_csrf.text.split('name="csrf_token" value="')[1].split('"')[0]
        service = await client.post(
            "/login", data={"username": "svc", "password": "", "csrf_token": fresh}
        )
        assert service.status_code == 401
    with review_app.database.transaction() as session:
        failed = [
            r for r in review_app.service.audit.iter_records(session)
            if r["event_type"] == "access.login_failed"
        ]  # fmt: skip
    assert len(failed) == 2


async def test_rate_limits_answer_429_with_retry_after(
    review_settings: Any, database: Any, clock: Any
) -> None:
    env = ReviewAppEnv(
        review_settings, database, clock, api_limit=RateLimit(rate_per_s=0.5, burst=3)
    )
    async with env.client() as client:
        codes = [(await client.get("/v1/reviews", headers=env.auth("anna"))).status_code
                 for _ in range(5)]  # fmt: skip
        limited = await client.get("/v1/reviews", headers=env.auth("anna"))
        other = await client.get("/v1/reviews", headers=env.auth("bob"))
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert other.status_code == 200  # per client


async def test_errors_never_echo_card_data(review_app: ReviewAppEnv) -> None:
    case_id, _ = review_app.open_case()
    pan = luhn_complete("401288", 16)
    anna = review_app.auth("anna")
    case = f"/v1/reviews/{case_id}"
    async with review_app.client() as client:
        responses = [
            await client.post(f"{case}/notes", json={"body": f"card {pan}"}, headers=anna),
            await client.get("/v1/reviews", params={"merchant_id": f"x{pan} <"}, headers=anna),
            await client.get(f"/v1/reviews/{pan}", headers=anna),
            await client.post(f"{case}/decline", json={"reason": pan}, headers=anna),
            await client.post(f"{case}/escalate", json={"note": 7, pan: 1}, headers=anna),
            await client.get(f"/reviews/cases/{pan}", headers=anna),
        ]
    for response in responses:
        assert response.status_code in (404, 409, 422), response.text
        assert pan not in response.text
        assert pan[-4:] not in response.text or "****" in response.text
