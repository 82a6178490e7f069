"""The REST API and the pages, in-process, on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from contracts import PaymentCommand
from tests.review_support import ReviewAppEnv

pytestmark = pytest.mark.asyncio


def _commands(env: ReviewAppEnv) -> list[PaymentCommand]:
    with env.database.transaction() as session:
        rows = session.execute(
            sa.text("SELECT payload FROM outbox WHERE topic IN ('captures', 'voids')")
        ).scalars()
        return [PaymentCommand.model_validate_json(row) for row in rows]


async def test_queue_detail_and_approve_over_rest(review_app: ReviewAppEnv) -> None:
    case_id, decision = review_app.open_case()
    anna = review_app.auth("anna")
    async with review_app.client() as client:
        queue = (await client.get("/v1/reviews", headers=anna)).json()
        assert queue["total"] == 1
        item = queue["items"][0]
        assert (item["id"], item["status"], item["assignee"]) == (case_id, "open", None)
        assert item["seconds_left"] > 0 and item["card"]["last4"] == "4242"
        detail = (await client.get(f"/v1/reviews/{case_id}", headers=anna)).json()
        assert detail["decision"]["transaction_id"] == decision.transaction_id
        assert detail["decision"]["features"]["card_count_1h"] == 6
        claim = await client.post(f"/v1/reviews/{case_id}/claim", headers=anna)
        assert claim.json()["case"]["assignee"] == "anna"
        headers = {**anna, "Idempotency-Key": "approve-1", "X-Request-ID": "req-123"}
        first = await client.post(
            f"/v1/reviews/{case_id}/approve", json={"note": "verified"}, headers=headers
        )
        second = await client.post(f"/v1/reviews/{case_id}/approve", headers=headers)
        assert first.status_code == second.status_code == 200
        assert first.json()["command_id"] and not first.json()["replayed"]
        assert second.json()["replayed"]
        assert first.headers["x-request-id"] == "req-123"
        timeline = (await client.get(f"/v1/reviews/{case_id}", headers=anna)).json()["timeline"]
        assert [t["kind"] for t in timeline] == ["claimed", "approved", "note"]
    assert [c.command for c in _commands(review_app)] == ["capture"]
    with review_app.database.transaction() as session:
        approved = [
            r for r in review_app.service.audit.iter_records(session)
            if r["event_type"] == "review.approved"
        ]  # fmt: skip
    assert len(approved) == 1
    record = approved[0]
    assert (record["idempotency_key"], record["trace_id"], record["client_ip"]) == (
        "approve-1", "req-123", "127.0.0.1",
    )  # fmt: skip
    assert (record["amount"], record["currency"], record["outcome"]) == (12_500, "USD", "capture")


async def test_decline_escalate_notes_and_lists(review_app: ReviewAppEnv) -> None:
    first, _ = review_app.open_case()
    second, decision = review_app.open_case()
    bob, lea = review_app.auth("bob"), review_app.auth("lea")
    async with review_app.client() as client:
        await client.post(f"/v1/reviews/{first}/claim", headers=bob)
        declined = await client.post(
            f"/v1/reviews/{first}/decline",
            json={"reason": "stolen_card", "fraud": True},
            headers=bob,
        )
        assert declined.json()["case"]["resolution"] == "void"
        closed = await client.post(f"/v1/reviews/{first}/approve", headers=bob)
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "case_closed"
        note = await client.post(
            f"/v1/reviews/{second}/notes", json={"body": "called the customer"}, headers=bob
        )
        assert note.status_code == 201 and note.json()["author"] == "bob"
        for entity, expected in (
            ("card", decision.card_fingerprint),
            ("email", decision.email_hash),
            ("device", decision.device_id),
        ):
            added = await client.post(
                f"/v1/reviews/{second}/lists",
                json={
                    "kind": "block",
                    "entity": entity,
                    "reason": "fraud ring",
                    "expires_in_days": 30,
                },
                headers=bob,
            )
            assert added.status_code == 201, added.text
            assert added.json()["value"] == expected
            assert review_app.list_writer.contains(f"block_{entity}", str(expected))
        lease_needed = await client.post(
            f"/v1/reviews/{second}/escalate", json={"note": "x"}, headers=bob
        )
        assert lease_needed.status_code == 409
        await client.post(f"/v1/reviews/{second}/claim", headers=bob)
        held = await client.post(f"/v1/reviews/{second}/claim", headers=lea)
        assert held.status_code == 409 and held.json()["error"]["code"] == "lease_held"
        missing = await client.get("/v1/reviews/999999", headers=bob)
        assert missing.status_code == 404
    with review_app.database.transaction() as session:
        events = [r["event_type"] for r in review_app.service.audit.iter_records(session)]
        assert review_app.service.audit.verify(session).ok
    assert events.count("list.added") == 3


async def test_list_value_missing_from_the_decision(review_app: ReviewAppEnv) -> None:
    case_id, _ = review_app.open_case(email_hash=None, device_id=None)
    async with review_app.client() as client:
        response = await client.post(
            f"/v1/reviews/{case_id}/lists",
            json={"kind": "allow", "entity": "email", "reason": "known customer"},
            headers=review_app.auth("anna"),
        )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "list_value_unavailable"


async def test_queue_filters_over_rest(review_app: ReviewAppEnv) -> None:
    review_app.open_case(merchant_id="acct_Alpha", amount=1_000)
    review_app.open_case(merchant_id="acct_Beta", amount=90_000)
    anna = review_app.auth("anna")
    async with review_app.client() as client:

        async def total(**params: object) -> int:
            response = await client.get("/v1/reviews", params=params, headers=anna)
            assert response.status_code == 200, response.text
            return int(response.json()["total"])

        assert await total() == 2
        assert await total(merchant_id="acct_Beta") == 1
        assert await total(amount_min=50_000) == 1
        assert await total(reason="velocity_card") == 2
        assert await total(assignee="unassigned") == 2
        assert await total(max_age_minutes=60) == 2
        assert await total(min_age_minutes=60) == 0
        assert await total(status="closed") == 0
        bad = await client.get("/v1/reviews", params={"limit": 0}, headers=anna)
        assert bad.status_code == 422 and bad.json()["error"]["details"][0]["loc"] == "query.limit"


async def test_pages_render_and_forms_act(review_app: ReviewAppEnv) -> None:
    case_id, decision = review_app.open_case()
    async with review_app.client() as client:
        login_redirect = await client.get("/reviews")
        assert login_redirect.status_code == 303
        csrf = await review_app.login(client, "anna")
        queue = await client.get("/reviews", params={"merchant": "acct_TestMerchant1"})
        assert decision.transaction_id in queue.text and 'data-deadline="' in queue.text
        page = await client.get(f"/reviews/cases/{case_id}")
        for text in ("Card used 6 times", "velocity_card_1h", "card_count_1h", "Timeline"):
            assert text in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        claimed = await client.post(f"/reviews/cases/{case_id}/claim", data={"csrf_token": csrf})
        assert claimed.headers["location"] == f"/reviews/cases/{case_id}?notice=claimed"
        noted = await client.post(
            f"/reviews/cases/{case_id}/note", data={"csrf_token": csrf, "body": "looks fine"}
        )
        assert noted.headers["location"].endswith("notice=note_added")
        approved = await client.post(f"/reviews/cases/{case_id}/approve", data={"csrf_token": csrf})
        assert approved.headers["location"].endswith("notice=approved")
        again = await client.post(f"/reviews/cases/{case_id}/decline", data={"csrf_token": csrf})
        assert again.headers["location"].endswith("notice=case_closed")
        after = await client.get(approved.headers["location"])
        assert "Approved: the capture command was issued." in after.text
        forged = await client.post(
            f"/reviews/cases/{case_id}/claim",
            data={"csrf_token": "forged"},
            headers={"accept": "text/html"},
        )
        assert forged.status_code == 403 and "<h1>403</h1>" in forged.text
        static = await client.get("/reviews/static/review.js")
        assert static.status_code == 200 and "keydown" in static.text
    assert [c.command for c in _commands(review_app)] == ["capture"]


async def test_admin_api_manages_users_and_tokens(review_app: ReviewAppEnv) -> None:
    ada = review_app.auth("ada")
    async with review_app.client() as client:
        created = await client.post(
            "/v1/access/users", json={"username": "carl", "role": "analyst"}, headers=ada
        )
        assert created.status_code == 201
        duplicate = await client.post(
            "/v1/access/users", json={"username": "carl", "role": "analyst"}, headers=ada
        )
        assert duplicate.status_code == 409
        issued = await client.post("/v1/access/users/carl/tokens", json={"name": "ci"}, headers=ada)
        token = issued.json()["token"]
        carl = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/v1/access/me", headers=carl)).json()["role"] == "analyst"
        promoted = await client.patch("/v1/access/users/carl", json={"role": "lead"}, headers=ada)
        assert promoted.json()["role"] == "lead"
        assert (await client.get("/v1/access/me", headers=carl)).json()["role"] == "lead"
        revoked = await client.delete(f"/v1/access/tokens/{issued.json()['id']}", headers=ada)
        assert revoked.json()["revoked_at"] is not None
        assert (await client.get("/v1/access/me", headers=carl)).status_code == 401
        assert (await client.get("/v1/access/users/ghost", headers=ada)).status_code in (404, 405)
        ghost = await client.post("/v1/access/users/ghost/tokens", json={}, headers=ada)
        assert ghost.status_code == 404
