"""The option sets of the settings, declared once: the settings, the adapters and `GET /v1/meta`
read them from here."""

from __future__ import annotations

from enum import StrEnum


class JudgeMode(StrEnum):
    SINGLE = "single"  # the LLM chain (then the offline judge when it fails)
    ENSEMBLE = "ensemble"  # the LLM and the offline judge both grade; far apart -> needs review


class ResponseFormat(StrEnum):
    """How the LLM judge asks for JSON (providers and local servers differ)."""

    AUTO = "auto"
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    NONE = "none"


class VerifierKind(StrEnum):
    CROSS = "cross"  # the cross-encoder claim verifier
    HEAD = "head"  # the token-vector head


class StoreKind(StrEnum):
    AUTO = "auto"
    SQLITE = "sqlite"
    REDIS = "redis"
    POSTGRES = "postgres"
