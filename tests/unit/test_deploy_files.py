"""The production stack files: docker-compose.yml, Dockerfile and deploy/prometheus.yml.

Nothing else runs them in the test suite, so these checks stand in for a deployment:
every service is there, every ``RISKSTREAM_*`` name is a setting and loads as
production settings pointing at the right services, the ports agree between the
commands, the healthchecks, Prometheus and the app, and no secret is written down.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from contracts import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus.yml"
PYPROJECT = ROOT / "pyproject.toml"

ENV_NAME = re.compile(r"\bRISKSTREAM_[A-Z0-9_]+\b")
# Compose interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ...
INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
)
REQUIRED_FROM_ENV = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}$")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")
# 13 to 19 digits in a row, or a card number written in groups (4-4-4-x, Amex 4-6-5).
DIGIT_RUN = re.compile(
    r"(?<!\d)(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})(?!\d)"
)
LIVE_KEY = re.compile(r"\b(?:sk|rk|pk)_live_")

# What an operator supplies for the required variables (the stack refuses to start
# without them), generated so that no literal secret sits in this file either.
SUPPLIED = {
    "RISKSTREAM_SESSION_SECRET": secrets.token_urlsafe(48),
    "RISKSTREAM_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
    "POSTGRES_PASSWORD": secrets.token_urlsafe(18),
}


def _mapping(value: object, what: str) -> dict[str, Any]:
    assert isinstance(value, dict), f"{what} should be a mapping, got {type(value).__name__}"
    return {str(k): v for k, v in value.items()}


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    # SafeLoader applies YAML merge keys (`<<: *riskstream-env`) like Compose does.
    return _mapping(yaml.safe_load(compose_text), "docker-compose.yml")


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = _mapping(compose.get("services"), "services")
    return {name: _mapping(spec, f"service {name}") for name, spec in found.items()}


@pytest.fixture(scope="module")
def prometheus() -> dict[str, Any]:
    return _mapping(yaml.safe_load(PROMETHEUS_FILE.read_text()), "deploy/prometheus.yml")


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text()


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment after merge keys, in either of Compose's two forms."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (str(item).partition("=") for item in raw)
        return {name: value for name, _, value in pairs}
    return {str(k): "" if v is None else str(v) for k, v in _mapping(raw, "environment").items()}


def _command(service: Mapping[str, Any]) -> list[str]:
    raw = service.get("command") or []
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def _healthcheck(service: Mapping[str, Any]) -> str:
    """The healthcheck's command as one string ('' when there is none or it is disabled)."""
    check = service.get("healthcheck")
    if not isinstance(check, dict) or check.get("disable"):
        return ""
    test = check.get("test")
    if isinstance(test, list):
        return " ".join(str(part) for part in test[1:]) if test[:1] != ["NONE"] else ""
    return str(test or "")


def _app_services(services: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services that run this repository's image."""
    return {name: spec for name, spec in services.items() if "build" in spec}


def _resolve(value: str, supplied: Mapping[str, str]) -> str:
    """Compose's interpolation, with ``supplied`` as the operator's environment."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"] or ""
        if op.endswith("-"):
            given = supplied.get(name)
            return arg if given is None or (op == ":-" and not given) else given
        if op.endswith("+"):
            return arg if supplied.get(name) else ""
        if name not in supplied:
            raise KeyError(f"${{{name}}} is required by docker-compose.yml; add it to SUPPLIED")
        return supplied[name]

    return INTERPOLATION.sub(one, value)


def _port_option(command: list[str], option: str = "--port") -> int:
    assert option in command, f"{command} has no {option}"
    return int(command[command.index(option) + 1])


def _advertised(kafka: Mapping[str, Any]) -> set[str]:
    """host:port of the Kafka listeners clients use (not the controller's)."""
    env = _environment(kafka)
    controllers = set(env.get("KAFKA_CONTROLLER_LISTENER_NAMES", "").split(","))
    endpoints = set()
    for item in env.get("KAFKA_ADVERTISED_LISTENERS", "").split(","):
        name, _, address = item.strip().partition("://")
        if address and name not in controllers:
            endpoints.add(address)
    return endpoints


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No RISKSTREAM_* variable from the machine running the tests leaks into Settings."""
    for name in list(os.environ):
        if name.startswith("RISKSTREAM_"):
            monkeypatch.delenv(name)
    yield monkeypatch


# -- the services -------------------------------------------------------------------------


def test_kafka_is_apache_kafka_in_kraft_mode(services: dict[str, dict[str, Any]]) -> None:
    kafka = services.get("kafka")
    assert kafka is not None, "no `kafka` service"
    assert str(kafka.get("image", "")).startswith("apache/kafka:"), kafka.get("image")
    env = _environment(kafka)
    roles = {role.strip() for role in env.get("KAFKA_PROCESS_ROLES", "").split(",")}
    assert {"broker", "controller"} <= roles, f"KAFKA_PROCESS_ROLES is {roles}"
    assert env.get("KAFKA_CONTROLLER_QUORUM_VOTERS"), "KRaft needs KAFKA_CONTROLLER_QUORUM_VOTERS"
    assert not any("ZOOKEEPER" in name for name in env), "KRaft mode takes no ZooKeeper settings"
    zookeepers = [
        name
        for name, spec in services.items()
        if "zookeeper" in name.lower() or "zookeeper" in str(spec.get("image", "")).lower()
    ]
    assert zookeepers == [], f"no ZooKeeper in KRaft mode: {zookeepers}"
    # The workers create the topics with their partition counts (pipeline/admin.py).
    assert env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") == "false"


def test_redis_keeps_an_append_only_file_and_never_evicts(
    services: dict[str, dict[str, Any]],
) -> None:
    redis = services.get("redis")
    assert redis is not None, "no `redis` service"
    assert str(redis.get("image", "")).startswith(("redis:", "valkey/valkey:"))
    command = _command(redis)
    assert command[:1] == ["redis-server"], command
    assert "--appendonly" in command, f"AOF is off: {command}"
    assert command[command.index("--appendonly") + 1] == "yes", command
    # Feature state lives only in Redis: an evicted key would silently reset a window.
    assert "--maxmemory-policy" in command, command
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction", command


def test_postgres_mlflow_and_prometheus_exist(services: dict[str, dict[str, Any]]) -> None:
    assert str(services.get("postgres", {}).get("image", "")).startswith("postgres:")
    postgres_env = _environment(services["postgres"])
    assert postgres_env.get("POSTGRES_USER") and postgres_env.get("POSTGRES_DB")
    mlflow = services.get("mlflow")
    assert mlflow is not None, "no `mlflow` service"
    assert "mlflow" in str(mlflow.get("image", "")), mlflow.get("image")
    assert _command(mlflow)[:2] == ["mlflow", "server"], _command(mlflow)
    prometheus = services.get("prometheus")
    assert prometheus is not None, "no `prometheus` service"
    assert str(prometheus.get("image", "")).startswith("prom/prometheus:")
    mounts = [str(v) for v in prometheus.get("volumes", [])]
    assert any(
        m.startswith("./deploy/prometheus.yml:/etc/prometheus/prometheus.yml") for m in mounts
    ), f"deploy/prometheus.yml is not mounted as Prometheus's configuration: {mounts}"


def test_the_workers_the_api_and_the_migration_run_the_image(
    services: dict[str, dict[str, Any]],
) -> None:
    apps = _app_services(services)
    commands = {name: _command(spec) for name, spec in apps.items()}
    assert commands.get("worker", [])[:1] == ["worker"], commands
    assert commands.get("api", [])[:1] == ["serve"], commands
    assert commands.get("migrate", [])[:2] == ["db", "upgrade"], commands
    replicas = services["worker"].get("deploy", {}).get("replicas", 1)
    assert int(replicas) >= 2, "the stack shows scale-out: at least two workers in one group"


def _riskstream_command(args: list[str]) -> click.Command:
    """The `riskstream` sub-command ``args`` name, with its options parsed (or an error)."""
    from riskstream.cli import main

    command: click.Command = main
    context = click.Context(main, info_name="riskstream")
    rest = list(args)
    while isinstance(command, click.Group):
        assert rest, f"`riskstream {' '.join(args)}` names a group, not a command"
        sub = command.get_command(context, rest[0])
        assert sub is not None, f"`riskstream {' '.join(args)}`: no command {rest[0]!r}"
        if isinstance(sub, click.Group):
            context = click.Context(sub, info_name=sub.name, parent=context)
        command, rest = sub, rest[1:]
    command.make_context(command.name, rest, parent=context)  # raises on a bad option/value
    return command


def test_app_commands_are_riskstream_commands(services: dict[str, dict[str, Any]]) -> None:
    apps = _app_services(services)
    assert apps, "no service runs the image"
    for spec in apps.values():
        _riskstream_command(_command(spec))  # fails with click's own error, naming the option
    with pytest.raises(click.UsageError):
        _riskstream_command(["serve", "--no-such-option"])


# -- the environment ----------------------------------------------------------------------


def test_settings_map_environment_names_to_fields_without_aliases() -> None:
    config = Settings.model_config
    assert config.get("env_prefix") == "RISKSTREAM_"
    assert not config.get("case_sensitive"), "env names are matched case-insensitively"
    assert config.get("env_nested_delimiter") in (None, "")
    aliased = [
        name
        for name, field in Settings.model_fields.items()
        if field.alias or field.validation_alias
    ]
    # With an alias the name -> field rule below would be incomplete: update it first.
    assert aliased == []


def test_every_riskstream_variable_named_is_a_setting(
    compose_text: str, dockerfile: str, services: dict[str, dict[str, Any]]
) -> None:
    texts = {
        "docker-compose.yml": compose_text,
        "Dockerfile": dockerfile,
        "deploy/prometheus.yml": PROMETHEUS_FILE.read_text(),
    }
    named = {(where, name) for where, text in texts.items() for name in ENV_NAME.findall(text)}
    # The parsed files too: merge keys bring the anchor's names into each service.
    for service, spec in services.items():
        named |= {(f"service {service}", n) for n in _environment(spec) if ENV_NAME.match(n)}
    assert len({name for _, name in named}) >= 8, "expected the compose file's settings"
    fields = set(Settings.model_fields)
    unknown = sorted(
        f"{name} ({where})"
        for where, name in named
        if name.removeprefix("RISKSTREAM_").lower() not in fields
    )
    assert unknown == [], f"not fields of contracts.Settings: {unknown}"


def test_app_environments_load_as_production_settings(
    services: dict[str, dict[str, Any]], clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    postgres = _environment(services["postgres"])
    kafka_endpoints = _advertised(services["kafka"])
    assert kafka_endpoints, "the kafka service advertises no client listener"
    redis_command = _command(services["redis"])
    redis_port = _port_option(redis_command) if "--port" in redis_command else 6379
    apps = _app_services(services)
    assert {"worker", "api", "migrate"} <= set(apps)
    for name, spec in apps.items():
        env = {k: _resolve(v, SUPPLIED) for k, v in _environment(spec).items()}
        with clean_env.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            settings = load_settings()
        where = f"service {name}"
        assert settings.environment == "production", where
        assert settings.kafka_bootstrap, where
        assert {str(e) for e in settings.kafka_bootstrap} <= kafka_endpoints, where
        assert all(e.host == "kafka" for e in settings.kafka_bootstrap), where
        assert settings.redis_url is not None, where
        assert (settings.redis_url.host, settings.redis_url.port) == ("redis", redis_port), where
        assert settings.database_url is not None, where
        url = make_url(settings.database_url)
        assert url.drivername == "postgresql+psycopg", where
        assert (url.host, url.port or 5432) == ("postgres", 5432), where
        assert url.username == postgres["POSTGRES_USER"], where
        assert url.database == postgres["POSTGRES_DB"], where
        assert url.password == _resolve(postgres["POSTGRES_PASSWORD"], SUPPLIED), where
        # The secrets are the operator's, passed through unchanged.
        assert settings.session_secret is not None, where
        assert settings.session_secret.get_secret_value() == SUPPLIED["RISKSTREAM_SESSION_SECRET"]
        assert settings.webhook_secret is not None, where
        assert settings.webhook_secret.get_secret_value() == SUPPLIED["RISKSTREAM_WEBHOOK_SECRET"]
    # The same environment with a bad value is refused: the check above can fail.
    with clean_env.context() as patch:
        patch.setenv("RISKSTREAM_TRANSACTIONS_PARTITIONS", "sixteen")
        with pytest.raises(SettingsError, match="RISKSTREAM_TRANSACTIONS_PARTITIONS"):
            load_settings(data_dir=tmp_path)


def test_secrets_come_from_the_operators_environment(
    services: dict[str, dict[str, Any]],
) -> None:
    for service, spec in services.items():
        for name, value in _environment(spec).items():
            if SECRET_NAME.search(name):
                match = REQUIRED_FROM_ENV.match(value)
                # ${X:-} would hand the app an empty, i.e. configured, secret.
                assert match, f"{service}: {name} must be ${{{name}:?…}}, not {value!r}"
        url = _environment(spec).get("RISKSTREAM_DATABASE_URL")
        if url:
            password = re.match(r"^[^:]+://[^:@/]*:([^@]*)@", url)
            assert password is None or REQUIRED_FROM_ENV.match(password[1]), (
                f"{service}: the database password is written in the URL"
            )


def test_no_secret_or_card_number_in_the_compose_file(compose_text: str) -> None:
    assert not LIVE_KEY.search(compose_text), "a live-mode processor key in docker-compose.yml"
    runs = sum(1 for _ in DIGIT_RUN.finditer(compose_text))
    assert runs == 0, f"13-19 digit runs in docker-compose.yml: {runs} (not shown)"
    # The patterns catch what they are meant to (built here, never stored).
    assert LIVE_KEY.search("key: sk" + "_live_abc")
    assert DIGIT_RUN.search("pan: " + "4" + "0" * 14 + "2")
    assert DIGIT_RUN.search("pan: " + " ".join(["4000"] * 4))
    assert DIGIT_RUN.search("pan: " + "-".join(["3782", "822463", "10005"]))
    assert not DIGIT_RUN.search("ports: 9092, 9093, 8080 and 9464; 16 partitions, 12 digits")


# -- ports, endpoints, dependencies --------------------------------------------------------


def _jobs(prometheus: dict[str, Any]) -> dict[str, dict[str, Any]]:
    jobs = prometheus.get("scrape_configs") or []
    return {str(job["job_name"]): _mapping(job, "scrape config") for job in jobs}


def _job_targets(job: Mapping[str, Any]) -> set[tuple[str, int]]:
    """(host, port) of a scrape job's static targets and DNS service-discovery names."""
    found = set()
    for static in job.get("static_configs", []):
        for target in static.get("targets", []):
            host, _, port = str(target).rpartition(":")
            found.add((host, int(port)))
    for dns in job.get("dns_sd_configs", []):
        for name in dns.get("names", []):
            found.add((str(name), int(dns["port"])))
    return found


def test_api_port_agrees_between_command_ports_healthcheck_and_prometheus(
    services: dict[str, dict[str, Any]], prometheus: dict[str, Any]
) -> None:
    api = services["api"]
    port = _port_option(_command(api))
    published = [str(p).rsplit(":", 1)[-1].split("/")[0] for p in api.get("ports", [])]
    assert published == [str(port)], f"api publishes {published}, serves on {port}"
    assert f"localhost:{port}/" in _healthcheck(api), _healthcheck(api)
    scraped = {t for job in _jobs(prometheus).values() for t in _job_targets(job)}
    assert ("api", port) in scraped, f"Prometheus scrapes {scraped}, the API is api:{port}"


def test_prometheus_scrapes_each_worker_on_its_metrics_port(
    services: dict[str, dict[str, Any]], prometheus: dict[str, Any]
) -> None:
    port = int(_environment(services["worker"]).get("RISKSTREAM_WORKER_METRICS_PORT", "0"))
    assert port, "RISKSTREAM_WORKER_METRICS_PORT is unset: the workers serve no metrics"
    worker_jobs = [
        job for job in _jobs(prometheus).values() if ("worker", port) in _job_targets(job)
    ]
    # DNS discovery finds every replica; a static target would hit one at random.
    assert worker_jobs and all(job.get("dns_sd_configs") for job in worker_jobs), (
        f"no job scrapes every `worker` replica on :{port}: {_jobs(prometheus)}"
    )
    for job in _jobs(prometheus).values():
        for host, _ in _job_targets(job):
            assert host in services, f"job {job['job_name']} scrapes {host}, not a service"


def test_prometheus_reads_its_api_token_from_a_mounted_file(
    services: dict[str, dict[str, Any]], prometheus: dict[str, Any]
) -> None:
    mounts = [str(v).split(":") for v in services["prometheus"].get("volumes", [])]
    targets = {parts[1] for parts in mounts if len(parts) >= 2}
    for job in _jobs(prometheus).values():
        credentials = job.get("authorization", {}).get("credentials_file")
        if credentials:
            assert credentials in targets, f"{credentials} is not mounted into prometheus"
    # No token written into the scrape configuration itself.
    assert "credentials" not in json.dumps(prometheus).replace("credentials_file", "")


@pytest.mark.asyncio
async def test_endpoints_used_by_healthchecks_and_prometheus_exist(
    services: dict[str, dict[str, Any]],
    prometheus: dict[str, Any],
    clean_env: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from riskstream.http import create_http_app

    paths = set(re.findall(r"https?://[^/\s'\"]+(/[^\s'\")]*)", _healthcheck(services["api"])))
    for job in _jobs(prometheus).values():
        if any(host == "api" for host, _ in _job_targets(job)):
            paths.add(str(job.get("metrics_path", "/metrics")))
    assert "/metrics" in paths and paths - {"/metrics"}, paths
    settings = load_settings(
        data_dir=tmp_path,
        environment="test",
        kafka_bootstrap="kafka:9092",
        redis_url="redis://redis:6379/0",
        session_secret=SUPPLIED["RISKSTREAM_SESSION_SECRET"],
    )
    app = create_http_app(settings, migrate=False, review_workers=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        # The lifespan does not run: /readyz answers 503, /metrics 401, but neither 404.
        for path in sorted(paths):
            response = await client.get(path)
            assert response.status_code != 404, f"GET {path} is not a route of the API"
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/no-such-endpoint")).status_code == 404


def test_depends_on_conditions_can_be_met(services: dict[str, dict[str, Any]]) -> None:
    conditions = 0
    for name, spec in services.items():
        depends = spec.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {dep: {"condition": "service_started"} for dep in depends}
        for dep, rule in _mapping(depends, f"{name}.depends_on").items():
            assert dep in services, f"{name} depends on {dep}, which is not a service"
            condition = _mapping(rule, "depends_on entry").get("condition", "service_started")
            if condition == "service_healthy":
                conditions += 1
                assert _healthcheck(services[dep]), (
                    f"{name} waits for {dep} to be healthy, but {dep} has no healthcheck"
                )
            elif condition == "service_completed_successfully":
                conditions += 1
                assert services[dep].get("restart", "no") in ("no", "on-failure"), (
                    f"{name} waits for {dep} to finish, but {dep} restarts forever"
                )
            else:
                assert condition == "service_started", f"{name}: unknown condition {condition}"
    assert conditions, "no depends_on condition checked"


# -- the image -----------------------------------------------------------------------------


def test_dockerfile_installs_the_package_and_runs_riskstream(
    dockerfile: str, services: dict[str, dict[str, Any]]
) -> None:
    lines = [line.strip() for line in dockerfile.splitlines()]
    entrypoints = [
        line.removeprefix("ENTRYPOINT").strip() for line in lines if line.startswith("ENTRYPOINT")
    ]
    assert entrypoints and json.loads(entrypoints[-1]) == ["riskstream"], entrypoints
    pyproject = tomllib.loads(PYPROJECT.read_text())
    assert pyproject["project"]["scripts"]["riskstream"] == "riskstream.cli:main"
    assert any(re.match(r"^RUN pip install (?:--no-deps )?\.(?:\s|$)", line) for line in lines)
    copied = {line.split()[1] for line in lines if line.startswith("COPY ")}
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include}
    missing = sorted(packages - copied)
    # A package the image lacks installs without error and fails at import.
    assert missing == [], f"the Dockerfile does not COPY {missing}: `pip install .` skips them"
    assert {"pyproject.toml", "README.md"} <= {
        part for line in lines if line.startswith("COPY ") for part in line.split()[1:-1]
    }
    # Named volumes under the data directory exist in the image, owned by its user, so
    # Docker gives a fresh volume that owner instead of root.
    data_dir = re.search(r"^ENV RISKSTREAM_DATA_DIR=(\S+)$", dockerfile, re.MULTILINE)
    assert data_dir, "the image sets no RISKSTREAM_DATA_DIR"
    for name, spec in _app_services(services).items():
        assert _environment(spec).get("RISKSTREAM_DATA_DIR", data_dir[1]) == data_dir[1], name
        for volume in spec.get("volumes", []):
            target = str(volume).split(":")[1]
            if target.startswith(data_dir[1] + "/"):
                assert re.search(rf"mkdir -p [^\n]*{re.escape(target)}\b", dockerfile), (
                    f"{name} mounts a volume at {target}, which the image does not create"
                )


def test_docker_compose_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    version = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=60, check=False
    )
    if version.returncode != 0:
        pytest.skip("docker is installed but its compose plugin is not (`docker compose`)")
    env = {k: v for k, v in os.environ.items() if k not in SUPPLIED}

    def config(extra: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [docker, "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
            env={**env, **extra},
        )

    result = config(SUPPLIED)
    assert result.returncode == 0, result.stderr
    without_secret = {k: v for k, v in SUPPLIED.items() if k != "RISKSTREAM_WEBHOOK_SECRET"}
    refused = config(without_secret)
    assert refused.returncode != 0 and "RISKSTREAM_WEBHOOK_SECRET" in refused.stderr
