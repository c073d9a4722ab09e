"""API keys (hashed, shown once, revocable), principals, roles and what each role may do."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from interviewer.errors import BadRequest, Forbidden, NotFound, Unauthorized
from interviewer.service.ports import AdminStore
from interviewer.service.records import ApiKeyRecord

KEY_PREFIX = "iv_"
ORG_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
TOUCH_EVERY = 60.0  # seconds between writes of a key's last-used time


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    PARTNER = "partner"


class Action(StrEnum):
    QUESTIONS_READ = "questions.read"
    GRADE = "grade"
    INTERVIEWS_CREATE = "interviews.create"
    INTERVIEWS_READ = "interviews.read"
    INTERVIEWS_OVERRIDE = "interviews.override"
    INTERVIEWS_DELETE = "interviews.delete"
    WEBHOOKS_MANAGE = "webhooks.manage"
    KEYS_MANAGE = "keys.manage"
    SELF_READ = "self.read"


# The whole authorization policy; every route names one action (docs/api.md has it as a table).
POLICY: dict[Action, frozenset[Role]] = {
    Action.QUESTIONS_READ: frozenset(Role),
    Action.GRADE: frozenset(Role),
    Action.INTERVIEWS_CREATE: frozenset(Role),
    Action.INTERVIEWS_READ: frozenset(Role),
    Action.INTERVIEWS_OVERRIDE: frozenset({Role.ADMIN, Role.RECRUITER}),
    Action.INTERVIEWS_DELETE: frozenset({Role.ADMIN, Role.RECRUITER}),
    Action.WEBHOOKS_MANAGE: frozenset({Role.ADMIN, Role.PARTNER}),
    Action.KEYS_MANAGE: frozenset({Role.ADMIN}),
    Action.SELF_READ: frozenset(Role),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key (or the local user with auth off), its role and organisation."""

    key_id: str
    role: Role
    org_id: str

    def can(self, action: Action) -> bool:
        return self.role in POLICY[action]

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise Forbidden(f"the {self.role.value} role may not {action.value}")

    def require_org(self, org_id: str, what: str) -> None:
        """Another org's resource is reported as missing, so that its existence does not leak."""
        if org_id != self.org_id:
            raise NotFound(f"no {what}")


def local_principal(org_id: str) -> Principal:
    """With INTERVIEWER_AUTH=off the single local user is the admin of the default org."""
    return Principal("local", Role.ADMIN, org_id)


def key_hash(key: str) -> str:
    # Keys are 256-bit random secrets, so a fast hash is enough (no dictionary to resist).
    return hashlib.sha256(key.encode()).hexdigest()


def check_org(org_id: str) -> str:
    if not ORG_RE.match(org_id):
        raise BadRequest("an org id is 1-64 characters: lowercase letters, digits, '_', '.', '-'")
    return org_id


async def create_key(
    admin: AdminStore, *, role: str, org_id: str, name: str = ""
) -> tuple[ApiKeyRecord, str]:
    """A new key: the stored record and the key itself, which is never stored nor shown again."""
    try:
        r = Role(role)
    except ValueError:
        raise BadRequest(f"unknown role {role!r}; choose from {[x.value for x in Role]}") from None
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKeyRecord(key_id, check_org(org_id), r.value, key_hash(key), time.time(), name=name)
    await admin.create_key(record)
    return record, key


def parse_key_id(key: str) -> str | None:
    """The key id inside `iv_<id>_<secret>`, or None when the text is not shaped like a key."""
    if not key.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = key[len(KEY_PREFIX):].partition("_")
    return key_id if sep and key_id and secret else None


async def authenticate(admin: AdminStore, key: str | None) -> Principal:
    """The principal of a presented key; a missing, unknown or revoked key is Unauthorized."""
    if not key:
        raise Unauthorized("an API key is required: send `Authorization: Bearer <key>`")
    key_id = parse_key_id(key)
    record = await admin.get_key(key_id) if key_id else None
    if record is None or not hmac.compare_digest(record.key_hash, key_hash(key)):
        raise Unauthorized("the API key is not valid")
    if record.revoked_at is not None:
        raise Unauthorized("the API key has been revoked")
    now = time.time()
    if record.last_used_at is None or now - record.last_used_at > TOUCH_EVERY:
        await admin.touch_key(record.key_id, at=now)
    return Principal(record.key_id, Role(record.role), record.org_id)


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
