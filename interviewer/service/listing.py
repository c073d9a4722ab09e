"""The listing fields of a session (status, score, tags...) that SQL stores index for the list."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from interviewer.service import transcript as tr
from interviewer.service.codec import state_from_dict
from interviewer.service.records import ListingFields, StoredSession


def listing_fields(state: dict[str, Any]) -> ListingFields | None:
    """The fields `GET /v1/interviews` filters on; None for a state that is not an interview's."""
    try:
        s = state_from_dict(state)
    except (ValidationError, ValueError, TypeError):
        return None
    c = s.config
    companies = ([c.company] if c.company else []) + [x for t in s.turns for x in t.companies]
    topics = list(c.topics) + [t.topic for t in s.turns if t.topic]
    difficulties = ([c.difficulty] if c.difficulty else []) + [
        t.difficulty for t in s.turns if t.difficulty]
    item = tr.item(StoredSession("", state, 0, "", "", 0.0, 0.0), None, s)  # the list's own rules
    return ListingFields(
        status=item.status, score=item.score, needs_review=item.needs_review, flagged=item.flagged,
        finished_at=s.finished_at, companies=tuple(dict.fromkeys(companies)),
        topics=tuple(dict.fromkeys(topics)), difficulties=tuple(dict.fromkeys(difficulties)))
