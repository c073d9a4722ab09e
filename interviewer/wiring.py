"""The composition root: every adapter the settings ask for is built here, and only here.

The app (`api/app.py`) and the CLI ask `build_services` (or one of the builders below) for what
they need; nothing else in the package imports an adapter (tests/test_architecture.py).
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from interviewer.core.models import Rubric
from interviewer.core.ports import Encoder, Judge, QuestionBank, Retriever
from interviewer.service.container import Services
from interviewer.service.gate import GradingGate
from interviewer.service.ports import (
    AdminStore,
    CodeProblems,
    OwedEvents,
    SessionEvents,
    SessionStore,
    SocketSlots,
)
from interviewer.service.rubrics import Rubrics
from interviewer.service.webhooks import WebhookDispatcher
from interviewer.settings import Settings

log = logging.getLogger("interviewer.wiring")


def redis_client(settings: Settings) -> Any | None:
    """The process's one Redis client (store, admin records, live events and the grader queue
    share it), or None."""
    if not settings.redis_url or (settings.store_kind == "sqlite" and not settings.remote_graders):
        return None
    from interviewer.adapters.store.sessions_redis import make_client

    return make_client(settings.redis_url)


def build_store(settings: Settings, redis: Any | None = None) -> SessionStore:
    from interviewer.service.listing import listing_fields

    if settings.store_kind == "postgres":
        from interviewer.adapters.store.sessions_postgres import PostgresSessionStore

        return PostgresSessionStore(settings.postgres_url, indexer=listing_fields)
    if settings.store_kind == "redis":
        from interviewer.adapters.store.sessions_redis import RedisSessionStore

        if redis is None:
            return RedisSessionStore.from_url(settings.redis_url or "")
        return RedisSessionStore(redis, owns_client=False)
    from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore

    sessions, admin = settings.sqlite_paths
    return SqliteSessionStore(sessions, indexer=listing_fields, with_admin=sessions == admin)


def build_admin_store(settings: Settings, redis: Any | None = None) -> AdminStore:
    """Where the sessions are: Postgres, Redis (so every instance sees the same keys), or SQLite."""
    if settings.store_kind == "postgres":
        from interviewer.adapters.store.admin_postgres import PostgresAdminStore

        return PostgresAdminStore(settings.postgres_url)
    if settings.store_kind == "redis":
        from interviewer.adapters.store.admin_redis import RedisAdminStore

        if redis is None:
            return RedisAdminStore.from_url(settings.redis_url or "")
        return RedisAdminStore(redis, owns_client=False)
    from interviewer.adapters.store.admin_sqlite import SqliteAdminStore

    return SqliteAdminStore(settings.sqlite_paths[1])


def build_events(settings: Settings, redis: Any | None = None) -> SessionEvents:
    """Redis pub/sub when several instances share the sessions (Redis, or Postgres + Redis),
    else in-process queues."""
    if settings.shares_events:
        from interviewer.adapters.events.redis_pubsub import RedisSessionEvents

        if redis is None:
            return RedisSessionEvents.from_url(settings.redis_url or "")
        return RedisSessionEvents(redis, owns_client=False)
    from interviewer.adapters.events.memory import MemorySessionEvents

    return MemorySessionEvents()


def build_socket_slots(settings: Settings, redis: Any | None = None) -> SocketSlots:
    """Open websockets per client address: counted in Redis across the instances when
    INTERVIEWER_REDIS_URL is set (slots of a dead instance expire after INTERVIEWER_INSTANCE_TTL),
    else by this process alone."""
    if settings.redis_url:
        from interviewer.adapters.ratelimit.slots_redis import RedisSocketSlots
        from interviewer.adapters.store.sessions_redis import make_client

        if redis is None:
            return RedisSocketSlots(make_client(settings.redis_url), ttl=settings.instance_ttl,
                                    owns_client=True)
        return RedisSocketSlots(redis, ttl=settings.instance_ttl)
    from interviewer.adapters.ratelimit.slots_memory import MemorySocketSlots

    return MemorySocketSlots()


def build_dispatcher(settings: Settings, admin: AdminStore, store: SessionStore) -> WebhookDispatcher:
    """The outbox's sender, and the relay of the webhook events the session store's commits owe."""
    from interviewer.adapters.webhooks.http import HttpPoster

    poster = HttpPoster(timeout=settings.webhook_timeout, allow_private=settings.webhook_allow_private)
    return WebhookDispatcher(
        admin, poster, owed=store if isinstance(store, OwedEvents) else None,
        timeout=settings.webhook_timeout, max_attempts=settings.webhook_max_attempts,
        backoff_base=settings.webhook_backoff_base, backoff_max=settings.webhook_backoff_max,
        backlog_max=settings.webhook_backlog_max,
    )


def build_judge(settings: Settings, encoder: Encoder, redis: Any | None = None) -> Judge:
    offline: Judge
    if settings.remote_graders:
        from interviewer.adapters.judge.offline.redis_stream import RedisStreamJudge
        from interviewer.adapters.store.sessions_redis import make_client

        offline = RedisStreamJudge(redis or make_client(settings.redis_url or ""),
                                   max_queue=settings.grading_queue_max, encoder=encoder.name,
                                   remember=getattr(encoder, "remember", None))
    elif settings.grader_processes:
        from interviewer.adapters.judge.offline.processes import ProcessPoolJudge

        offline = ProcessPoolJudge(partial(build_offline_judge, settings, threads=1),
                                   processes=settings.grader_processes,
                                   max_queue=settings.grading_queue_max,
                                   remember=getattr(encoder, "remember", None))
        offline.warm()  # every worker loads its model now, not on the first answer
    else:
        offline = build_offline_judge(settings, encoder, threads=settings.grading_threads or None)
    if not settings.judge_model:
        return offline
    from interviewer.adapters.judge.factory import build_judge as build_llm

    key = settings.judge_api_key.get_secret_value() if settings.judge_api_key else None
    return build_llm(
        model=settings.judge_model, api_base=settings.judge_api_base, api_key=key,
        timeout=settings.judge_timeout, fallbacks=list(settings.judge_fallbacks),
        mode=settings.judge_mode, max_concurrency=settings.judge_max_concurrency, offline=offline,
        max_retries=settings.judge_max_retries, disagreement_threshold=settings.judge_disagreement,
        max_tokens=settings.judge_max_tokens, response_format=settings.judge_response_format,
    )


def build_offline_judge(settings: Settings, encoder: Encoder | None = None, *,
                        threads: int | None = None) -> Any:
    """The offline judge as configured, on `encoder` or a new one (a grader process's own)."""
    from interviewer.adapters.judge.offline.judge import OfflineJudge

    return OfflineJudge(encoder or build_encoder(settings), max_concurrency=threads,
                        verify=settings.judge_verify, verifier=settings.judge_verifier,
                        review=settings.judge_verify_review,
                        clause_top_k=settings.judge_verify_top_k or None,
                        verifier_backend=settings.judge_verifier_backend,
                        onnx_cache=settings.encoder_cache_dir)


def apply_torch_threads(settings: Settings) -> None:
    """INTERVIEWER_TORCH_THREADS, when set: the model's intra-op threads (process-wide)."""
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)


def build_encoder(settings: Settings) -> Encoder:
    """The packaged model on the configured runtime (no micro-batching: see build_services)."""
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder

    apply_torch_threads(settings)
    return SentenceTransformerEncoder.from_settings(settings)


def build_bank(settings: Settings) -> QuestionBank:
    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank

    return YamlQuestionBank.load(settings.bank_roots)


def build_services(
    settings: Settings, *, encoder: Encoder | None = None, bank: QuestionBank | None = None
) -> Services:
    """Everything the app needs; `encoder`/`bank` can be passed in to share them (tests, CLI)."""
    from interviewer.adapters.encoder.batching import BatchingEncoder
    from interviewer.adapters.ratelimit.limits_storage import Limiter
    from interviewer.adapters.sandbox.bwrap import BwrapRunner
    from interviewer.core.rubric_derive import derive_rubric

    bank = bank or build_bank(settings)
    base = encoder or build_encoder(settings)
    enc = BatchingEncoder(
        base, max_batch=settings.encoder_batch_max, max_wait_ms=settings.encoder_batch_wait_ms,
        max_queue=settings.grading_queue_max,
    )

    def derive(question_id: str, text: str, sample_answer: str) -> Rubric:
        return derive_rubric(question_id=question_id, question_text=text,
                             sample_answer=sample_answer, encoder=enc)

    redis = redis_client(settings)
    admin = build_admin_store(settings, redis)
    store = build_store(settings, redis)
    return Services(
        settings=settings, bank=bank, encoder=enc, judge=build_judge(settings, enc, redis),
        store=store, retriever=build_retriever(settings, bank, enc),
        rubrics=Rubrics(derive), admin=admin, webhooks=build_dispatcher(settings, admin, store),
        events=build_events(settings, redis),
        gate=GradingGate(settings.grading_slots or settings.judge_max_concurrency),
        # The coding problems, and the bubblewrap sandbox (started on first use; when bwrap is
        # unusable coding interviews and every code run are refused with `sandbox_unavailable`).
        code_bank=build_code_bank(settings),
        code_runner=BwrapRunner(pool_size=2, queue_limit=8, bwrap=settings.sandbox_bwrap,
                                cgroup=settings.sandbox_cgroup),
        limiter=Limiter(settings), socket_slots=build_socket_slots(settings, redis),
        closers=[redis.aclose] if redis is not None else [],
    )


def build_code_bank(settings: Settings) -> CodeProblems:
    """The coding problems in `questions/code/` of the first bank root that has one (the repository,
    or the image's /app, where the package is installed apart from the bank)."""
    from interviewer.adapters.bank.code_problems import DEFAULT_DIR, CodeBank

    found = [r / "questions" / "code" for r in settings.bank_roots if (r / "questions" / "code").is_dir()]
    return CodeBank(found[0] if found else DEFAULT_DIR)


def build_retriever(settings: Settings, bank: QuestionBank, encoder: Encoder) -> Retriever:
    """The FAISS concept index, loaded when the bank's hash matches, else rebuilt and saved."""
    from interviewer.adapters.retrieval.faiss_index import FaissRetriever, load_or_build

    index, built = load_or_build(bank, encoder, Path(settings.data_dir) / "index")
    log.info("index.ready", extra={"cards": len(index.cards), "built": built})
    return FaissRetriever(bank, encoder, index)


async def run_grader(settings: Settings, stop: Any, *, consumer: str | None = None) -> None:
    """`interviewer grader`: grade jobs from the Redis stream until `stop` (an asyncio.Event) is set."""
    from interviewer.adapters.judge.offline.redis_stream import GraderWorker
    from interviewer.adapters.store.sessions_redis import make_client

    if not settings.redis_url:
        raise ValueError("`interviewer grader` needs INTERVIEWER_REDIS_URL=redis://...")
    judge = build_offline_judge(settings, threads=1)
    client = make_client(settings.redis_url)
    try:
        await GraderWorker(client, judge, consumer=consumer,
                           claim_idle=settings.grader_claim_idle).run(stop)
    finally:
        await client.aclose()
