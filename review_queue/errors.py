"""The review queue's error tree. The HTTP layer maps each to a status code."""

from __future__ import annotations

__all__ = [
    "CaseClosed",
    "CaseNotFound",
    "ConcurrentChange",
    "InvalidInput",
    "InvalidTransition",
    "LeaseHeld",
    "LeaseRequired",
    "ListUnavailable",
    "ReviewError",
    "ReviewForbidden",
]


class ReviewError(Exception):
    """Root of every error raised by :mod:`review_queue`."""

    status_code = 400
    code = "review_error"


class CaseNotFound(ReviewError):
    status_code = 404
    code = "case_not_found"

    def __init__(self, case_id: int | str) -> None:
        self.case_id = case_id
        super().__init__(f"no review case {case_id}")


class ReviewForbidden(ReviewError):
    """The workflow forbids this actor this action (four-eyes, own escalation, role)."""

    status_code = 403
    code = "forbidden"

    def __init__(self, message: str, *, rule: str) -> None:
        self.rule = rule
        super().__init__(message)


class LeaseHeld(ReviewError):
    status_code = 409
    code = "lease_held"

    def __init__(self, case_id: int, owner: str) -> None:
        self.case_id = case_id
        self.owner = owner
        super().__init__(f"case {case_id} is claimed by {owner}; wait for them or ask a lead")


class LeaseRequired(ReviewError):
    status_code = 409
    code = "lease_required"

    def __init__(self, case_id: int) -> None:
        self.case_id = case_id
        super().__init__(f"claim case {case_id} first (your claim may have expired)")


class CaseClosed(ReviewError):
    status_code = 409
    code = "case_closed"

    def __init__(self, case_id: int, status: str) -> None:
        self.case_id = case_id
        self.status = status
        super().__init__(f"case {case_id} is already {status}; nothing more can be decided")


class InvalidTransition(ReviewError):
    status_code = 409
    code = "invalid_transition"

    def __init__(self, case_id: int, status: str, action: str) -> None:
        self.case_id = case_id
        self.status = status
        self.action = action
        super().__init__(f"case {case_id} is {status}: it cannot be {action}d now")


class ConcurrentChange(ReviewError):
    status_code = 409
    code = "concurrent_change"

    def __init__(self, case_id: int) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} changed while you acted on it: reload and try again")


class InvalidInput(ReviewError):
    """Input the workflow refuses. Never echoes the value (it may be card data)."""

    status_code = 422
    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class ListUnavailable(ReviewError):
    status_code = 409
    code = "list_value_unavailable"

    def __init__(self, entity: str) -> None:
        self.entity = entity
        super().__init__(f"this case's decision carries no {entity} to add to a list")
