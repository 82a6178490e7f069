"""One typed, frozen settings object, built once at the edge and passed down.

Every field is read from the environment with the ``RISKSTREAM_`` prefix (for example
``RISKSTREAM_KAFKA_BOOTSTRAP=broker1:9092,broker2:9092``). Library code never reads
``os.environ``: it receives a :class:`Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RedisDsn,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contracts.errors import SettingsError

__all__ = ["Environment", "HostPort", "Settings", "load_settings"]

Environment = Literal["development", "test", "staging", "production"]

# Prefixes of processor secrets that move real money.
LIVE_SECRET_PREFIXES = ("sk_live_", "rk_live_")


class HostPort(BaseModel):
    """A network endpoint; ``str()`` gives ``host:port``."""

    model_config = ConfigDict(frozen=True)

    host: Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.\-:\[\]]+$")]
    port: Annotated[int, Field(ge=1, le=65535)]

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _split_endpoints(value: Any) -> Any:
    if isinstance(value, str):
        endpoints = []
        for item in value.split(","):
            host, sep, port = item.strip().rpartition(":")
            if not sep or not host:
                raise ValueError(f"expected host:port, got {item.strip()!r}")
            endpoints.append({"host": host, "port": port})
        return tuple(endpoints)
    return value


def _split_words(value: Any) -> Any:
    if isinstance(value, str):
        return frozenset(word.strip().upper() for word in value.split(",") if word.strip())
    return value


KafkaBootstrap = Annotated[tuple[HostPort, ...], NoDecode, BeforeValidator(_split_endpoints)]
CurrencyList = Annotated[frozenset[str], NoDecode, BeforeValidator(_split_words)]

DEFAULT_CURRENCIES = frozenset(
    "USD EUR GBP CAD AUD NZD JPY CHF SEK NOK DKK PLN CZK HUF RON BGN SGD HKD MXN BRL INR ZAR "
    "AED".split()
)


class Settings(BaseSettings):
    """All of riskstream's configuration. Frozen; secrets print masked."""

    model_config = SettingsConfigDict(
        env_prefix="RISKSTREAM_",
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
    )

    environment: Environment = "development"
    data_dir: Path = Path(".riskstream")
    log_level: Literal["debug", "info", "warn", "error"] = "info"

    # Services. When unset, the commands look for the embedded stack that
    # `riskstream up` records in data_dir (see riskstream.stack).
    kafka_bootstrap: KafkaBootstrap | None = None
    redis_url: RedisDsn | None = None

    # Topics: names are ``{topic_prefix}{logical name}``; partition counts are fixed at
    # creation because the embedded broker cannot add partitions later.
    topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._\-]*$")
    transactions_partitions: int = Field(default=8, ge=1, le=1024)
    decisions_partitions: int = Field(default=8, ge=1, le=1024)

    # Stream worker.
    worker_group: str = Field(default="riskstream-worker", pattern=r"^[A-Za-z0-9._\-]+$")
    worker_batch_size: int = Field(default=500, ge=1, le=10_000)
    worker_batch_within_s: float = Field(default=0.05, gt=0, le=10)
    broker_session_timeout_s: float = Field(default=10.0, ge=1, le=300)
    # How riskstream's producers batch what they write (decisions, dead letters, alerts,
    # review events). A decision is about 3 KB of JSON: Kafka clients' default 16 KB batch
    # holds five, so a busy worker sent many small requests per partition. Measured in
    # docs/performance.md ("Producer batches"): 512 KB batches plus zstd. At most 1 MB:
    # a larger batch would exceed Kafka's default message.max.bytes and the clients'
    # default request size, and be refused.
    broker_compression: Literal["none", "gzip", "lz4", "zstd"] = "zstd"
    broker_max_batch_bytes: int = Field(default=524_288, ge=1024, le=1_000_000)

    # Scoring. Decisions are kept by transaction id for idempotent replies (24 h, like a
    # card processor's idempotency keys): about 1.3 KB each in Redis (stored deflated).
    decision_ttl_s: int = Field(default=24 * 3600, ge=60)
    feature_set: Literal["default", "first_path"] = "default"
    base_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    redis_namespace: str = Field(default="rs", pattern=r"^[a-z][a-z0-9_]{0,15}$")
    # While Redis is unreachable: "wait" holds the stream until it is back (no decision
    # without features); "fail_open" / "fail_closed" decide after redis_outage_grace_s
    # without velocity features or lists, marked degraded ("fail_closed" holds every
    # such payment for review at least).
    redis_outage: Literal["wait", "fail_open", "fail_closed"] = "wait"
    redis_outage_grace_s: float = Field(default=5.0, ge=0, le=600)
    rules_path: Path | None = None  # default: the packaged starter policy

    # Boundary policy.
    allowed_currencies: CurrencyList = DEFAULT_CURRENCIES
    default_max_amount_major: int = Field(default=100_000, ge=1)
    merchants_file: Path | None = None
    transaction_id_pattern: str | None = None
    merchant_id_pattern: str | None = None
    customer_id_pattern: str | None = None
    payment_method_pattern: str | None = None

    # HTTP API.
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    # Per-client token buckets (per process): people and tools, and the `service` role
    # (the payment pipeline, which scores every authorization). Over the limit: 429.
    rate_limit_per_s: float = Field(default=20.0, gt=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    service_rate_limit_per_s: float = Field(default=5000.0, gt=0)
    service_rate_limit_burst: int = Field(default=10_000, ge=1)
    # A verified API token is trusted this long without asking the database again
    # (revocation takes effect within it); while the database is unreachable a token
    # verified within token_stale_s keeps working, so scoring survives a database blip.
    token_cache_s: float = Field(default=30.0, ge=0, le=3600)
    token_stale_s: float = Field(default=900.0, ge=0, le=86_400)

    # Review queue and audit log. Default database: SQLite in data_dir.
    database_url: str | None = Field(
        default=None, pattern=r"^(sqlite(\+pysqlite)?|postgresql(\+psycopg)?)://"
    )
    review_auth_window_days: int = Field(default=7, ge=1, le=31)
    # Per card brand, e.g. RISKSTREAM_REVIEW_AUTH_WINDOW_DAYS_BY_BRAND='{"amex": 7, "visa": 5}'
    review_auth_window_days_by_brand: dict[str, int] = Field(default_factory=dict)
    review_sla_margin_s: int = Field(default=3600, ge=0)  # act this long before expiry
    review_default_action: Literal["void", "capture"] = "void"
    review_lease_s: int = Field(default=300, ge=10, le=86400)
    review_four_eyes_amount: int = Field(default=100_000, ge=0)  # minor units
    audit_retention_days: int = Field(default=365, ge=1)

    # issue 5: model lifecycle. MLflow is the system of record for runs and the model
    # registry (default: SQLite + artifacts in data_dir, no server); serving reads the
    # local model store, so workers never import MLflow.
    mlflow_tracking_uri: str | None = None  # default sqlite:///<data_dir>/mlflow.db
    mlflow_experiment: str = Field(default="riskstream", min_length=1, max_length=200)
    mlflow_model_name: str = Field(
        default="riskstream-fraud", pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$"
    )
    # end issue 5

    # issue 7: chargebacks, metrics, the rollout guard and SCA exemption advice.
    # Signed webhooks older (or further in the future) than this are refused.
    webhook_tolerance_s: int = Field(default=300, ge=1, le=3600)
    # The stream worker serves Prometheus metrics on this port; 0 switches it off.
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    # After a model promotion or a rule-file change the guard compares the decision mix
    # of the new version with the one before, over this window, and rolls back when the
    # decline or review share moves more than the bound (absolute share, 0.10 = 10
    # points) or the p95 decision latency passes the budget.
    guard_enabled: bool = True
    guard_window_s: float = Field(default=300.0, ge=5, le=86_400)
    guard_min_decisions: int = Field(default=50, ge=1)
    guard_max_decline_shift: float = Field(default=0.10, gt=0, le=1)
    guard_max_review_shift: float = Field(default=0.10, gt=0, le=1)
    guard_latency_budget_ms: float = Field(default=500.0, gt=0)  # p95 of decisions' latency_ms
    # PSD2 transaction-risk-analysis advice applies when the acquirer is in the EEA.
    sca_acquirer_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    # end issue 7

    # Secrets.
    processor_secret_key: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    session_secret: SecretStr | None = None  # signs analyst session cookies

    @field_validator("processor_secret_key", "webhook_secret", "session_secret", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: Any) -> Any:
        # `FOO=` in a compose file or shell means "not configured": an empty HMAC key
        # would let anyone sign a webhook.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _no_live_secrets_outside_production(self) -> Settings:
        if self.environment == "production":
            return self
        for name in ("processor_secret_key", "webhook_secret"):
            secret: SecretStr | None = getattr(self, name)
            if secret is None:
                continue
            value = secret.get_secret_value()
            for prefix in LIVE_SECRET_PREFIXES:
                if value.startswith(prefix):
                    raise ValueError(
                        f"RISKSTREAM_{name.upper()} holds a live-mode key ({prefix}…) but "
                        f"RISKSTREAM_ENVIRONMENT is '{self.environment}'. Use a test-mode key "
                        "outside production, or set RISKSTREAM_ENVIRONMENT=production."
                    )
        return self

    @property
    def producer_compression(self) -> str | None:
        """``broker_compression`` as Kafka clients take it (``None`` for none)."""
        return None if self.broker_compression == "none" else self.broker_compression

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'riskstream.db'}"

    def replace(self, **changes: Any) -> Settings:
        """A validated copy with ``changes`` applied (``model_copy`` would skip validation)."""
        values = self.model_dump()
        values.update(changes)
        return type(self)(**values)

    def topic(self, logical: str) -> str:
        """The broker-side name of a logical topic such as ``transactions``."""
        return f"{self.topic_prefix}{logical}"


def load_settings(**overrides: Any) -> Settings:
    """Build :class:`Settings` from the environment, raising a readable :class:`SettingsError`.

    The error lists each bad setting by its environment variable name and never
    echoes the value that was given (it may be a secret).
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_input=False, include_url=False):
            field = "_".join(str(part) for part in error["loc"] if isinstance(part, str))
            where = f"RISKSTREAM_{field.upper()}" if field else "settings"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{where}: {message}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None
