"""Errors of the model layer."""

from __future__ import annotations

__all__ = ["IncompatibleModel", "ModelError", "ModelNotFound"]


class ModelError(Exception):
    """Root of every error raised by :mod:`models`."""


class ModelNotFound(ModelError):
    """No model is stored under the requested version or alias."""


class IncompatibleModel(ModelError):
    """A model needs features the running feature registry does not produce."""

    def __init__(self, version: str, missing: list[str]) -> None:
        self.version = version
        self.missing = missing
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        super().__init__(
            f"model {version} needs {len(missing)} feature(s) this registry does not "
            f"produce ({shown}); retrain it with `riskstream train` or run the feature set "
            "it was trained on"
        )
