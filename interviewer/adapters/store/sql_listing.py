"""The listing query shared by the SQL session stores: filters on indexed columns, keyset order."""

from __future__ import annotations

from typing import Any

from interviewer.service.records import ListingQuery


def listing_sql(
    *, org_id: str, query: ListingQuery, after: tuple[float, str] | None, limit: int, mark: str,
    with_meta: bool = False,
) -> tuple[str, list[Any]]:
    """`SELECT * FROM sessions ...` newest first (created_at, session_id descending), keyset from `after`.

    `mark` is the driver's placeholder ("?" for sqlite3, "%s" for psycopg). `with_meta`: the
    database holds the admin records too, so `candidate_ref` is matched in `session_meta`
    (otherwise the caller filters it).
    """
    where = [f"s.org_id = {mark}"]
    args: list[Any] = [org_id]

    def add(cond: str, *values: Any) -> None:
        where.append(cond)
        args.extend(values)

    if after is not None:
        # A row-value comparison, which both planners turn into one index range (an equivalent
        # `a < x OR (a = x AND b < y)` made PostgreSQL scan from the top: 30x slower half way down).
        add(f"(s.created_at, s.session_id) < ({mark}, {mark})", after[0], after[1])
    if query.status is not None:
        add(f"s.status = {mark}", query.status)
    if query.needs_review is not None:
        add(f"s.needs_review = {mark}", query.needs_review)
    if query.flagged is not None:
        add(f"s.flagged = {mark}", query.flagged)
    if query.min_score is not None:
        add(f"s.score >= {mark}", query.min_score)
    if query.max_score is not None:
        add(f"s.score <= {mark}", query.max_score)
    if query.created_from is not None:
        add(f"s.created_at >= {mark}", query.created_from)
    if query.created_to is not None:
        add(f"s.created_at < {mark}", query.created_to)
    for kind, value in (("company", query.company), ("topic", query.topic),
                        ("difficulty", query.difficulty)):
        if value is not None:
            add(f"EXISTS (SELECT 1 FROM session_tags t WHERE t.session_id = s.session_id"
                f" AND t.kind = {mark} AND t.value = {mark})", kind, value)
    if with_meta and query.candidate_ref is not None:
        add(f"EXISTS (SELECT 1 FROM session_meta m WHERE m.session_id = s.session_id"
            f" AND m.org_id = s.org_id AND m.candidate_ref = {mark})", query.candidate_ref)
    sql = (f"SELECT s.* FROM sessions s WHERE {' AND '.join(where)}"
           f" ORDER BY s.created_at DESC, s.session_id DESC LIMIT {mark}")
    return sql, [*args, limit]
