"""Request and response schemas of API keys and webhooks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

EventType = Literal["interview.completed", "grade.created", "grade.overridden"]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["admin", "recruiter", "partner"]
    name: str = Field("", max_length=200)


class KeyRead(BaseModel):
    key_id: str
    org_id: str
    role: str
    name: str
    created_at: float
    last_used_at: float | None = None
    revoked_at: float | None = None


class Me(BaseModel):
    """The caller: its key, organisation, role and what that role may do."""

    key_id: str
    org_id: str
    role: str
    actions: list[str] = Field(description="the actions of docs/api.md's policy this role may take")


class KeyCreated(KeyRead):
    key: str = Field(description="the API key itself: shown once, stored only as a hash")


class KeyList(BaseModel):
    items: list[KeyRead]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(description="http(s) URL that receives POSTed events")
    events: list[EventType] = Field(min_length=1, max_length=3)


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: float
    active: bool


class WebhookCreated(WebhookRead):
    secret: str = Field(description="signs every delivery (Interviewer-Signature); shown once")


class WebhookList(BaseModel):
    items: list[WebhookRead]


class DeliveryRead(BaseModel):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: float
    updated_at: float
    last_status_code: int | None = None
    last_error: str = ""


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
