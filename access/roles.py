"""Roles and what each may do. Every check in the project goes through :func:`allows`.

| role     | may |
|----------|-----|
| analyst  | read and work review cases (claim, approve, decline, escalate, notes, lists) |
| lead     | everything an analyst may, plus second approvals (four-eyes), escalated cases, |
|          | force-releasing leases, changing rules, reading the audit log |
| admin    | read cases; manage users and tokens; change rules and models; read the audit |
|          | log. Admins do not work cases: separation of duties keeps money movement with |
|          | the people who review |
| service  | machine clients: score transactions; nothing else |
| monitor  | machine clients: scrape ``/metrics`` (Prometheus); nothing else |
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["PERMISSIONS", "ROLES", "ROLE_PERMISSIONS", "Permission", "Role", "allows"]

Role = Literal["analyst", "lead", "admin", "service", "monitor"]
ROLES: tuple[Role, ...] = get_args(Role)

Permission = Literal[
    "reviews.read",
    "reviews.work",
    "reviews.lead",
    "lists.write",
    "rules.write",
    "models.write",
    "audit.read",
    "users.manage",
    "score",
    "metrics.read",
]
PERMISSIONS: tuple[Permission, ...] = get_args(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "analyst": frozenset({"reviews.read", "reviews.work", "lists.write"}),
    "lead": frozenset(
        {
            "reviews.read",
            "reviews.work",
            "reviews.lead",
            "lists.write",
            "rules.write",
            "audit.read",
            "metrics.read",
        }
    ),
    "admin": frozenset(
        {
            "reviews.read",
            "rules.write",
            "models.write",
            "audit.read",
            "users.manage",
            "metrics.read",
        }
    ),
    "service": frozenset({"score"}),
    "monitor": frozenset({"metrics.read"}),
}


def allows(role: str, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission``.

    >>> allows("analyst", "rules.write"), allows("lead", "reviews.lead")
    (False, True)
    """
    granted = ROLE_PERMISSIONS.get(role)  # type: ignore[call-overload]
    return granted is not None and permission in granted
