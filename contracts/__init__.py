"""Shared contracts: the event and decision models, the boundary policy and settings.

This package imports no other riskstream package; every other package may import it.
"""

from contracts.alerts import DeadLetter, ErrorDetail, MessagePosition, PciAlert, PciFindingRecord
from contracts.clock import Clock, FrozenClock, SystemClock
from contracts.decision import (
    ACTION_SEVERITY,
    ACTIONS,
    DECISION_SCHEMA_VERSION,
    Action,
    Decision,
    DecisionMode,
    FeatureValue,
    Reason,
    RuleHit,
)
from contracts.decoding import EventDecoder, safe_transaction_id
from contracts.disputes import DISPUTE_KINDS, DisputeEvent, DisputeKind
from contracts.errors import ContractError, FieldError, InvalidEvent, SettingsError
from contracts.events import (
    AvsResult,
    CardAttributes,
    CardBrand,
    Channel,
    CvvResult,
    Funding,
    ThreeDSResult,
    TransactionEvent,
)
from contracts.labels import LabelEvent, LabelSource, PaymentCommand
from contracts.ops import RolloutAlert, RolloutComponent
from contracts.policy import BoundaryPolicy, MerchantLimits
from contracts.sca import ScaExemption, ScaOutcome
from contracts.settings import HostPort, Settings, load_settings
from contracts.topics import TopicSpec, topic_specs

__all__ = [
    "ACTIONS",
    "ACTION_SEVERITY",
    "DECISION_SCHEMA_VERSION",
    "DISPUTE_KINDS",
    "Action",
    "AvsResult",
    "BoundaryPolicy",
    "CardAttributes",
    "CardBrand",
    "Channel",
    "Clock",
    "ContractError",
    "CvvResult",
    "DeadLetter",
    "Decision",
    "DecisionMode",
    "DisputeEvent",
    "DisputeKind",
    "ErrorDetail",
    "EventDecoder",
    "FeatureValue",
    "FieldError",
    "FrozenClock",
    "Funding",
    "HostPort",
    "InvalidEvent",
    "LabelEvent",
    "LabelSource",
    "MerchantLimits",
    "MessagePosition",
    "PaymentCommand",
    "PciAlert",
    "PciFindingRecord",
    "Reason",
    "RolloutAlert",
    "RolloutComponent",
    "RuleHit",
    "ScaExemption",
    "ScaOutcome",
    "Settings",
    "SettingsError",
    "SystemClock",
    "ThreeDSResult",
    "TopicSpec",
    "TransactionEvent",
    "load_settings",
    "safe_transaction_id",
    "topic_specs",
]
