"""/v1/score and its callers: the service rate limit, revocation, a database outage.

The full app on the real embedded broker and Redis, with PostgreSQL reached through a
TCP proxy the test can cut: a token verified before the cut keeps scoring while the
database is away (scoring does not depend on it), a token never seen gets a clear 503.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi import FastAPI

import db
from access.control import AccessControl
from contracts import Settings
from riskstream.http import create_http_app
from tests.factories import event_dict
from tests.review_support import PostgresSchema
from tests.streams import create_topics
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

PG_HOST, PG_PORT = "127.0.0.1", 5432


@dataclass
class Served:
    app: FastAPI
    http: httpx.AsyncClient
    proxy: TcpProxy
    settings: Settings

    @property
    def access(self) -> AccessControl:
        access: AccessControl = self.app.state.riskstream_access
        return access

    def token(self, name: str, role: str = "service") -> str:
        directory = self.access.directory  # the app's own (one engine, disposed with it)
        directory.create_user(name, role)  # type: ignore[arg-type]
        return directory.create_token(name).token

    async def score(self, token: str) -> httpx.Response:
        return await self.http.post(
            "/v1/score",
            content=orjson.dumps(event_dict()),
            headers={"Authorization": f"Bearer {token}"},
        )


@pytest.fixture
def proxied(
    stack_settings: Settings, model_home: Path, tmp_path: Path
) -> Iterator[tuple[Settings, TcpProxy]]:
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    schema = PostgresSchema()
    schema.create()
    try:
        db.upgrade(schema.url)
        with TcpProxy(PG_HOST, PG_PORT) as proxy:
            url = schema.url.replace(f"@{PG_HOST}:{PG_PORT}/", f"@{PG_HOST}:{proxy.port}/", 1)
            settings = stack_settings.replace(
                data_dir=home,
                database_url=url,
                service_rate_limit_per_s=0.5,
                service_rate_limit_burst=4,
            )
            yield settings, proxy
    finally:
        schema.drop()


@pytest_asyncio.fixture
async def served(proxied: tuple[Settings, TcpProxy]) -> AsyncIterator[Served]:
    settings, proxy = proxied
    await create_topics(settings)
    app = create_http_app(settings, review_workers=False, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Served(app, http, proxy, settings)


async def test_the_service_limit_answers_429_per_token(served: Served) -> None:
    pipeline, other = served.token("pipeline"), served.token("pipeline-b")
    codes = [(await served.score(pipeline)).status_code for _ in range(6)]
    assert codes[:4] == [200] * 4 and set(codes[4:]) == {429}  # burst 4, then limited
    limited = await served.score(pipeline)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert (await served.score(other)).status_code == 200  # a bucket per token


async def test_a_revoked_token_stops_at_once_despite_the_cache(served: Served) -> None:
    directory = served.access.directory
    directory.create_user("pipeline", "service")
    issued = directory.create_token("pipeline")
    assert (await served.score(issued.token)).status_code == 200  # verified and cached
    directory.revoke_token(issued.info.id)
    response = await served.score(issued.token)
    assert response.status_code == 401
    assert issued.token not in response.text


async def test_scoring_survives_the_database_going_away(served: Served) -> None:
    known, unseen = served.token("pipeline"), served.token("latecomer")
    assert (await served.score(known)).status_code == 200
    served.proxy.cut()
    try:
        during = await served.score(known)
        assert during.status_code == 200, during.text  # the cached verification holds
        refused = await served.score(unseen)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "database_unavailable"
        assert "Traceback" not in refused.text
    finally:
        served.proxy.restore()
    assert (await served.score(unseen)).status_code == 200
