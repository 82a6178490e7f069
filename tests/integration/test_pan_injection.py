"""Card numbers and live secrets injected into every entry point: refused, never echoed or logged.

Every string field of every entry point gets, in turn, a Luhn-valid card number in
several spellings (13 to 19 digits, grouped with spaces or dashes, glued into text)
and a live-looking secret key. Both must be refused where the PCI guard scans (events,
labels, disputes) and must never reach a response, a log record, an output topic or
storage; elsewhere (forms) a secret key is never logged in clear nor echoed.

One app (the full HTTP app on the embedded broker, Redis and SQLite) and one stream
worker serve the whole module. Card numbers and secrets are built at run time.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import string
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio

import db
from access import RateLimit
from access.ratelimit import TokenBucketLimiter
from contracts import Settings, load_settings
from contracts.pci import mask_card_data
from review_queue import QueueFilter
from riskstream.http import create_http_app
from riskstream.stack import EmbeddedStack
from tests.dispute_support import (
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    body_of,
    dispute_event,
    stripe_signature,
)
from tests.factories import event_dict, luhn_complete, token
from tests.review_support import PASSWORD, make_decision
from tests.streams import create_topics, produce, read_topic, running_worker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]

# -- the values, built at run time ----------------------------------------------------


def _grouped(digits: str, sizes: tuple[int, ...], separator: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    return separator.join(parts)


_AMEX = luhn_complete("37", 15)
PANS: dict[str, str] = {
    "16": luhn_complete("4", 16),
    "16-spaces": _grouped(luhn_complete("5", 16), (4, 4, 4, 4), " "),
    "16-dashes": _grouped(luhn_complete("2", 16), (4, 4, 4, 4), "-"),
    "13": luhn_complete("4", 13),
    "15-amex-spaces": _grouped(_AMEX, (4, 6, 5), " "),
    "19": luhn_complete("6", 19),
    "in-text": "order ref " + luhn_complete("3", 14) + " ok",
}
FORMATS = tuple(PANS)
# A few spellings for the entry points where a case costs more (a signed webhook, a form).
SOME_FORMATS = ("16", "16-dashes", "15-amex-spaces", "in-text")
SECRET = "sk_live_" + "".join(
    secrets.choice(string.ascii_letters + string.digits) for _ in range(28)
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _pan_spellings(value: str) -> set[str]:
    """Every way the card number in ``value`` could show up: as sent, and digits only."""
    digits = _digits(value)
    return {digits, value} if set(value) <= set("0123456789 -") else {digits}


SECRET_TAIL = SECRET.removeprefix("sk_live_")  # a masked log keeps the last four only


def leaked_card_numbers(text: str) -> list[str]:
    """Names of the injected card numbers that appear in ``text`` (never the numbers)."""
    return [name for name, pan in PANS.items() if any(s in text for s in _pan_spellings(pan))]


def assert_clean(where: str, text: str, *, secret: bool = True) -> None:
    leaked = leaked_card_numbers(text)
    assert not leaked, f"card number ({', '.join(leaked)}) found in {where}"
    if secret:
        assert SECRET_TAIL not in text, f"the secret key was found unmasked in {where}"


# -- the documents whose fields get the values ---------------------------------------

Path_ = tuple[str | int, ...]


def string_paths(document: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every string leaf of a JSON document, in order."""
    if isinstance(document, dict):
        return [p for key, value in document.items() for p in string_paths(value, (*prefix, key))]
    if isinstance(document, list):
        return [p for i, value in enumerate(document) for p in string_paths(value, (*prefix, i))]
    return [prefix] if isinstance(document, str) else []


def with_value(document: Any, path: Path_, value: Any) -> Any:
    copy = orjson.loads(orjson.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def _fields_holding_secret(document: dict[str, Any]) -> set[str]:
    return {key for key, value in document.items() if SECRET_TAIL in orjson.dumps(value).decode()}


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


EVENT_PATHS = string_paths(event_dict())


def _label(**overrides: Any) -> dict[str, Any]:
    label: dict[str, Any] = {
        "label_id": token("lbl_"),
        "transaction_id": token("pi_"),
        "is_fraud": True,
        "category": "fraud",
        "source": "chargeback",
        "merchant_id": "acct_TestMerchant1",
        "card_bin": "424242",
        "card_fingerprint": token("fp", 14),
        "amount": 2500,
        "currency": "USD",
        "event_time": "2026-11-01T12:00:00+00:00",
        "reported_at": "2026-11-20T12:00:00+00:00",
    }
    label.update(overrides)
    return label


LABEL_PATHS = string_paths(_label())


def _dispute(**overrides: Any) -> dict[str, Any]:
    event = dispute_event(token("pi_"), at=datetime.now(UTC), **overrides)
    event["data"]["object"]["evidence"]["customer_name"] = "Jane Doe"
    event["data"]["object"]["payment_method_details"] = {"card": {"network_reason_code": "10.4"}}
    return event


DISPUTE_PATHS = string_paths(_dispute())

# -- one app for the module ---------------------------------------------------------


@dataclass
class Env:
    settings: Settings
    app: Any
    http: httpx.AsyncClient
    auth: dict[str, dict[str, str]]
    case_id: int
    refused_at_score: list[str] = field(default_factory=list)


def _module_settings(stack: EmbeddedStack, home: Path) -> Settings:
    unique = uuid.uuid4().hex[:8]
    return load_settings(
        data_dir=home,
        environment="test",
        kafka_bootstrap=stack.kafka_bootstrap,
        redis_url=stack.redis_url,
        topic_prefix=f"t{unique}.",
        redis_namespace=f"t{unique}",
        worker_group=f"worker-{unique}",
        broker_session_timeout_s=6,
        webhook_secret=WEBHOOK_SECRET,
        session_secret="test-session-secret-0123456789abcdef",
    )


@pytest.fixture(scope="module")
def module_home(model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("pan-injection") / "home"
    shutil.copytree(model_home, home)
    return home


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(stack: EmbeddedStack, module_home: Path) -> AsyncIterator[Env]:
    settings = _module_settings(stack, module_home)
    await create_topics(settings)
    db.upgrade(settings.resolved_database_url)
    app = create_http_app(settings, review_workers=False, monitoring_workers=False)
    # The production limits (20 requests/s per client, 1/s anonymous) would turn most of
    # these hundreds of requests into 429s; the limiter is tested elsewhere.
    access = app.state.riskstream_access
    access.api_limiter = TokenBucketLimiter(RateLimit(rate_per_s=10_000.0, burst=100_000))
    access.anonymous_limiter = TokenBucketLimiter(RateLimit(rate_per_s=10_000.0, burst=100_000))
    auth: dict[str, dict[str, str]] = {}
    for username, role in (("pipeline", "service"), ("lea", "lead"), ("ada", "admin")):
        access.directory.create_user(
            username, role, password=None if role == "service" else PASSWORD
        )
        issued = access.directory.create_token(username, "tests").token
        auth[role] = {"Authorization": f"Bearer {issued}"}
    service = app.state.riskstream_reviews.service
    decision = make_decision(amount=5_000)
    service.ingest([decision])
    page = service.queue(QueueFilter(status="all", limit=10), actor="test")
    case_id = next(c.id for c in page.items if c.transaction_id == decision.transaction_id)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Env(settings, app, http, auth, case_id)


class ServerLogs:
    """Every record the app logged during a test, at DEBUG, from every logger but the
    test's own HTTP client (httpx logs the URLs the test sends).

    Records are captured as made: the app's processes install
    :func:`contracts.logmask.install_log_masking`, this test process does not, so a card
    number here means the code tried to log one. Secret keys are not card data and the
    masking is their defence: :attr:`masked` is what a deployed process would write.
    """

    CLIENT_LOGGERS = ("httpx", "httpcore")

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    @property
    def text(self) -> str:
        lines = []
        for record in self._caplog.records:
            if record.name.split(".")[0] in self.CLIENT_LOGGERS:
                continue
            lines.append(f"{record.name}: {record.getMessage()}")
            if record.exc_info:
                lines.append(logging.Formatter().formatException(record.exc_info))
        return "\n".join(lines)

    @property
    def masked(self) -> str:
        return mask_card_data(self.text)

    def assert_clean(self) -> None:
        assert_clean("the app's log", self.text, secret=False)
        assert SECRET_TAIL not in self.masked, "the secret key was logged unmasked"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[ServerLogs]:
    caplog.set_level(logging.DEBUG)
    yield ServerLogs(caplog)


def _ids(paths: list[Path_]) -> list[str]:
    return [dotted(p) for p in paths]


# -- POST /v1/score -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", EVENT_PATHS, ids=_ids(EVENT_PATHS))
async def test_score_refuses_a_card_number_in_every_field(
    env: Env, logs: ServerLogs, path: Path_, fmt: str
) -> None:
    event = with_value(event_dict(), path, PANS[fmt])
    response = await env.http.post(
        "/v1/score", content=orjson.dumps(event), headers=env.auth["service"]
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "pci_violation"
    assert {"loc": dotted(path), "code": "card_number"} in [
        {"loc": e["loc"], "code": e["code"]} for e in error["errors"]
    ]
    assert_clean("the response", response.text)
    logs.assert_clean()
    env.refused_at_score.append(str(event["transaction_id"]))


@pytest.mark.parametrize("fmt", ("16", "16-dashes", "19"))
@pytest.mark.parametrize("where", ("amount", "metadata-key", "unknown-field", "raw-text"))
async def test_score_refuses_a_card_number_as_a_number_key_or_garbage(
    env: Env, logs: ServerLogs, where: str, fmt: str
) -> None:
    pan = PANS[fmt]
    if where == "amount":
        content = orjson.dumps(event_dict(amount=int(_digits(pan))))
    elif where == "metadata-key":
        content = orjson.dumps(event_dict(metadata={pan: "x"}))
    elif where == "unknown-field":
        content = orjson.dumps(event_dict(reference=pan))
    else:
        content = b'{"transaction_id": "pi_x", ' + pan.encode() + b" not json"
    response = await env.http.post("/v1/score", content=content, headers=env.auth["service"])
    assert response.status_code == 422, response.text
    assert response.json()["error"]["type"] == "pci_violation"
    assert_clean("the response", response.text)
    logs.assert_clean()


@pytest.mark.parametrize("path", EVENT_PATHS, ids=_ids(EVENT_PATHS))
async def test_score_refuses_a_secret_key(env: Env, logs: ServerLogs, path: Path_) -> None:
    event = with_value(event_dict(), path, SECRET)
    response = await env.http.post(
        "/v1/score", content=orjson.dumps(event), headers=env.auth["service"]
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "pci_violation"
    assert [e["code"] for e in error["errors"]] == ["secret_key"]
    assert_clean("the response", response.text)
    logs.assert_clean()


# -- the stream worker: transactions and labels ---------------------------------------


async def test_the_stream_refuses_card_numbers_in_events_and_labels(env: Env) -> None:
    settings = env.settings
    transactions: list[tuple[bytes | None, bytes]] = []
    for path in EVENT_PATHS:
        for fmt in FORMATS:
            event = with_value(event_dict(), path, PANS[fmt])
            transactions.append((b"fpPanInjection", orjson.dumps(event)))
    secret_events = [with_value(event_dict(), path, SECRET) for path in EVENT_PATHS]
    transactions.extend((b"fpSecretInjection", orjson.dumps(e)) for e in secret_events)
    card_events = len(transactions)  # card numbers and secret keys: all refused
    control = event_dict()
    transactions.append((b"fpControl", orjson.dumps(control)))
    labels = [
        (None, orjson.dumps(with_value(_label(), path, PANS[fmt])))
        for path in LABEL_PATHS
        for fmt in FORMATS
    ]
    # broken JSON carrying a card number or a secret: refused as card data, not kept
    labels += [(None, b'{"transaction_id": "pi_1", "note": "' + v.encode() + b'"')
               for v in (PANS["16"], SECRET)]  # fmt: skip
    await produce(settings, settings.topic("transactions"), transactions)
    await produce(settings, settings.topic("labels"), labels)
    transactions_topic, labels_topic = settings.topic("transactions"), settings.topic("labels")

    def card_letters(records: list[dict[str, Any]], topic: str) -> list[dict[str, Any]]:
        return [
            r for r in records if r["position"]["topic"] == topic and r["reason"] == "pci_violation"
        ]

    with running_worker(settings, settings.data_dir, RISKSTREAM_LOG_LEVEL="debug") as log_path:
        letters = await read_topic(
            settings,
            settings.topic("transactions.dlq"),
            until=lambda r: (
                len(card_letters(r, transactions_topic)) >= card_events
                and len(card_letters(r, labels_topic)) >= len(labels)
            ),
            timeout_s=90,
        )
        alerts = await read_topic(
            settings,
            settings.topic("alerts.pci"),
            until=lambda r: (
                sum(a["position"]["topic"] == transactions_topic for a in r) >= card_events
                and sum(a["position"]["topic"] == labels_topic for a in r) >= len(labels)
            ),
        )
        decisions = await read_topic(
            settings,
            settings.topic("decisions"),
            until=lambda r: any(d["transaction_id"] == control["transaction_id"] for d in r),
        )
    assert any(d["transaction_id"] == control["transaction_id"] for d in decisions)
    refused = card_letters(letters, transactions_topic)
    assert len(refused) == card_events
    assert all(r["payload"] is None for r in refused)
    assert sum(a["position"]["topic"] == transactions_topic for a in alerts) == card_events
    label_alerts = [a for a in alerts if a["position"]["topic"] == labels_topic]
    assert len(label_alerts) == len(labels)
    assert all(a["findings"] and a["transaction_id"] is None for a in label_alerts)
    refused_labels = card_letters(letters, labels_topic)
    assert len(refused_labels) == len(labels)
    assert all(r["payload"] is None for r in refused_labels)
    decided = {d["transaction_id"] for d in decisions}
    assert not decided & {
        str(orjson.loads(v)["transaction_id"]) for _, v in transactions[:card_events]
    }
    log_text = log_path.read_text(errors="replace")
    assert_clean("the worker's log", log_text)
    assert_clean("the alerts", orjson.dumps(alerts).decode())
    assert_clean("the decisions", orjson.dumps(decisions).decode())
    assert_clean("the dead letters", orjson.dumps(letters).decode())


# -- the dispute webhook --------------------------------------------------------------


def _signed(document: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = body_of(document)
    return body, {"Stripe-Signature": stripe_signature(body, WEBHOOK_SECRET, int(time.time()))}


async def test_the_webhook_records_a_clean_signed_event(env: Env) -> None:
    body, headers = _signed(_dispute())
    response = await env.http.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "recorded"


# What the webhook keeps of an event (contracts.DisputeEvent): card data there is refused.
# The rest of the processor's envelope is read by nothing and dropped, and deliberately
# not scanned: a refund's 23-digit acquirer reference number (destination_details.card.
# reference) holds a Luhn-valid window almost always. The storage sweep at the end
# checks that nothing of it is kept.
DISPUTE_KEPT = {
    "id",
    "data.object.id",
    "data.object.charge",
    "data.object.payment_intent",
    "data.object.currency",
    "data.object.payment_method_details.card.network_reason_code",
}


@pytest.mark.parametrize("fmt", SOME_FORMATS)
@pytest.mark.parametrize("path", DISPUTE_PATHS, ids=_ids(DISPUTE_PATHS))
async def test_the_webhook_refuses_a_card_number_in_every_field_it_keeps(
    env: Env, logs: ServerLogs, path: Path_, fmt: str
) -> None:
    body, headers = _signed(with_value(_dispute(), path, PANS[fmt]))
    response = await env.http.post(WEBHOOK_PATH, content=body, headers=headers)
    if dotted(path) in DISPUTE_KEPT:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_event"
    else:  # refused, or the field is dropped (an unread field, a reason not a word)
        assert response.status_code in (200, 400), response.text
    assert_clean("the response", response.text)
    logs.assert_clean()


async def test_the_webhook_reads_nothing_before_the_signature(env: Env, logs: ServerLogs) -> None:
    body = body_of(with_value(_dispute(), ("data", "object", "payment_intent"), PANS["16"]))
    for headers in ({}, {"Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}"}):
        response = await env.http.post(WEBHOOK_PATH, content=body, headers=headers)
        assert response.status_code == 400
        assert response.json()["error"]["code"].startswith("signature_")
        assert_clean("the response", response.text)
    logs.assert_clean()


@pytest.mark.parametrize("path", DISPUTE_PATHS, ids=_ids(DISPUTE_PATHS))
async def test_the_webhook_never_logs_or_echoes_a_secret_key(
    env: Env, logs: ServerLogs, path: Path_
) -> None:
    body, headers = _signed(with_value(_dispute(), path, SECRET))
    response = await env.http.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code < 500, response.text
    # The answer names the event and the payment as the processor sent them.
    assert _fields_holding_secret(response.json()) <= {"event_id", "transaction_id"}
    logs.assert_clean()


# -- the list API, review notes, access API, login form -------------------------------


def _form_cases(case_id: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(role, method, url template, JSON body template); ``{v}`` marks the injected value."""
    c = case_id
    return [
        ("lead", "POST", "/v1/lists/block_card", {"value": "{v}", "reason": "test"}),
        ("lead", "POST", "/v1/lists/block_card", {"value": "fpClean1", "reason": "{v}"}),
        ("lead", "POST", "/v1/lists/block_card",
         {"value": "fpClean2", "reason": "test", "expires_in": "{v}"}),
        ("lead", "DELETE", "/v1/lists/block_card/{v}", {}),
        ("lead", "GET", "/v1/lists/{v}", {}),
        ("lead", "POST", f"/v1/reviews/{c}/notes", {"body": "{v}"}),
        ("lead", "POST", f"/v1/reviews/{c}/approve", {"note": "{v}"}),
        ("lead", "POST", f"/v1/reviews/{c}/decline", {"note": "{v}"}),
        ("lead", "POST", f"/v1/reviews/{c}/escalate", {"note": "{v}"}),
        ("lead", "POST", f"/v1/reviews/{c}/lists",
         {"kind": "block", "entity": "card", "reason": "{v}"}),
        ("lead", "GET", "/v1/reviews?merchant_id={v}", {}),
        ("lead", "GET", "/v1/reviews?reason={v}", {}),
        ("lead", "GET", "/reviews?merchant={v}", {}),
        ("lead", "GET", "/reviews?reason={v}", {}),
        ("admin", "POST", "/v1/access/users", {"username": "{v}", "role": "analyst"}),
        ("admin", "POST", "/v1/access/users",
         {"username": "{fresh}", "role": "analyst", "display_name": "{v}"}),
        ("admin", "POST", "/v1/access/users/lea/tokens", {"name": "{v}"}),
        ("admin", "PATCH", "/v1/access/users/{v}", {"is_active": True}),
    ]  # fmt: skip


FORM_CASE_IDS = [
    f"{method} {url.split('?')[0]}:{next(iter(body), 'query') if body else url.split('?')[-1]}"
    for _, method, url, body in _form_cases(1)
]


def _fill(template: Any, value: str) -> Any:
    if isinstance(template, dict):
        return {k: _fill(v, value) for k, v in template.items()}
    if template == "{v}":
        return value
    if template == "{fresh}":
        return "user-" + uuid.uuid4().hex[:8]
    return template


@pytest.mark.parametrize("fmt", (*FORMATS, "secret-key"))
@pytest.mark.parametrize("index", range(len(FORM_CASE_IDS)), ids=FORM_CASE_IDS)
async def test_api_text_fields_refuse_card_numbers_and_secret_keys(
    env: Env, logs: ServerLogs, index: int, fmt: str
) -> None:
    role, method, url, body = _form_cases(env.case_id)[index]
    value = SECRET if fmt == "secret-key" else PANS[fmt]
    target = url.replace("{v}", urllib.parse.quote(value, safe=""))
    before = await env.http.get(f"/v1/reviews/{env.case_id}", headers=env.auth["lead"])
    response = await env.http.request(
        method,
        target,
        json=_fill(body, value) if body else None,
        headers=env.auth[role],
    )
    if method == "GET" and "/v1/lists" not in url:
        assert response.status_code in (200, 422), response.text  # a search, not a write
    else:
        assert response.status_code in (400, 404, 409, 422), response.text
    assert_clean("the response", response.text)
    logs.assert_clean()
    after = await env.http.get(f"/v1/reviews/{env.case_id}", headers=env.auth["lead"])
    assert after.json()["case"]["version"] == before.json()["case"]["version"]


async def _login_form(env: Env) -> tuple[httpx.Cookies, str]:
    page = await env.http.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return page.cookies, csrf


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ("username", "password", "next", "csrf_token"))
async def test_login_form_refuses_and_never_echoes_card_numbers(
    env: Env, logs: ServerLogs, name: str, fmt: str
) -> None:
    cookies, csrf = await _login_form(env)
    form = {"username": "lea", "password": "not the password", "csrf_token": csrf, "next": ""}
    form[name] = "/reviews?ref=" + PANS[fmt] if name == "next" else PANS[fmt]
    env.http.cookies = cookies
    try:
        response = await env.http.post("/login", data=form)
    finally:
        env.http.cookies.clear()
    assert response.status_code in (401, 403), response.text
    assert_clean("the login page", response.text)
    logs.assert_clean()


@pytest.mark.parametrize("name", ("username", "password", "next"))
async def test_login_form_never_logs_a_secret_key(env: Env, logs: ServerLogs, name: str) -> None:
    cookies, csrf = await _login_form(env)
    form = {"username": "lea", "password": "not the password", "csrf_token": csrf, "next": ""}
    form[name] = "/reviews?ref=" + SECRET if name == "next" else SECRET
    env.http.cookies = cookies
    try:
        response = await env.http.post("/login", data=form)
    finally:
        env.http.cookies.clear()
    assert response.status_code == 401, response.text
    assert SECRET_TAIL not in logs.masked


# -- what is left behind --------------------------------------------------------------


async def test_nothing_is_left_in_topics_database_or_redis(env: Env) -> None:
    settings = env.settings
    alerts = await read_topic(
        settings,
        settings.topic("alerts.pci"),
        until=lambda r: (
            sum(a["position"]["source"] == "http" for a in r) >= len(env.refused_at_score)
        ),
        timeout_s=20,
    )
    http_alerts = [a for a in alerts if a["position"]["source"] == "http"]
    assert len(http_alerts) >= len(env.refused_at_score)
    assert_clean("the PCI alerts", orjson.dumps(alerts).decode())
    # (the transactions and labels topics hold what the stream test sent on purpose)
    for logical in ("decisions", "transactions.dlq", "captures", "voids"):
        records = await read_topic(settings, settings.topic(logical), until=lambda r: False,
                                   timeout_s=1)  # fmt: skip
        assert_clean(f"the {logical} topic", orjson.dumps(records).decode())
    database = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    files = {
        f.name: f.read_bytes().decode("latin-1") for f in database.parent.glob(database.name + "*")
    }
    assert "acct_TestMerchant1" in "".join(files.values())  # readable: the sweep sees rows
    for name, content in files.items():
        assert_clean(f"the database file {name}", content)
    redis = env.app.state.redis
    stored: list[str] = []
    async for key in redis.scan_iter(match=f"*{settings.redis_namespace}*", count=1000):
        stored.append(key.decode() if isinstance(key, bytes) else str(key))
        kind = await redis.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "string":
            stored.append(repr(await redis.get(key)))
        elif kind == "hash":
            stored.append(repr(await redis.hgetall(key)))
        elif kind == "zset":
            stored.append(repr(await redis.zrange(key, 0, -1, withscores=True)))
        elif kind == "set":
            stored.append(repr(await redis.smembers(key)))
        elif kind == "list":
            stored.append(repr(await redis.lrange(key, 0, -1)))
    assert stored
    assert_clean("Redis", "\n".join(stored))
