"""Shared helpers of the command line: settings, logging, progress, errors."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

import click

from contracts import Settings, SettingsError, load_settings
from contracts.logmask import install_log_masking
from riskstream.stack import StackError, resolve_services

__all__ = ["fail", "progress_printer", "services", "settings_from_env", "setup_logging"]


def fail(message: str, code: int = 2) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def setup_logging(level: str) -> None:
    """Mask card data in every record, then log to stderr."""
    install_log_masking()
    numeric = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING}.get(
        level, logging.ERROR
    )
    logging.basicConfig(
        level=numeric,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("aiokafka", "kafka", "faust", "mode", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))


def settings_from_env(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        fail(str(exc))


def services(settings: Settings) -> Settings:
    try:
        return resolve_services(settings)
    except StackError as exc:
        fail(str(exc))


def progress_printer(prefix: str = "") -> Callable[[str], None]:
    started = time.monotonic()

    def report(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f}s] {prefix}{message}", err=True)

    return report
