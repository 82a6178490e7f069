"""The tamper-evident audit log: append-only records in a SHA-256 hash chain.

Every package records its changes here (review actions, decisions, list, rule and
model changes, logins) through :class:`AuditLog`, inside the same transaction as the
change. ``verify`` detects edited, deleted or re-ordered records; ``export_jsonl``
writes JSON lines for auditors; ``prune`` applies the retention period.
"""

from audit.errors import AuditError, ChainNotInitialised, InvalidAuditEvent
from audit.events import AuditEvent, canonical_json, row_digest, sanitize
from audit.log import AuditLog, ChainHead, PruneResult
from audit.models import GENESIS_HASH, AuditChainHead, AuditRecord
from audit.ops import export_audit_log, prune_audit_log, run_audit_retention, verify_audit_log
from audit.verify import Problem, ProblemKind, VerifyReport, verify_chain

__all__ = [
    "GENESIS_HASH",
    "AuditChainHead",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "ChainHead",
    "ChainNotInitialised",
    "InvalidAuditEvent",
    "Problem",
    "ProblemKind",
    "PruneResult",
    "VerifyReport",
    "canonical_json",
    "export_audit_log",
    "prune_audit_log",
    "row_digest",
    "run_audit_retention",
    "sanitize",
    "verify_audit_log",
    "verify_chain",
]
