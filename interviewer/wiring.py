"""The composition root: build the adapters the settings ask for and put them in a Services."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
from interviewer.core.models import Rubric
from interviewer.core.ports import Encoder, Judge, QuestionBank, Retriever, SessionEvents, SessionStore
from interviewer.service.container import Services
from interviewer.settings import Settings

log = logging.getLogger("interviewer.wiring")


def _postgres_url(settings: Settings) -> str:
    url = settings.database_url
    if not url or url.startswith("sqlite:"):
        raise ValueError("INTERVIEWER_STORE=postgres needs INTERVIEWER_DATABASE_URL=postgresql://...")
    return url


def build_store(settings: Settings) -> SessionStore:
    from interviewer.service.listing import listing_fields

    if settings.store_kind == "postgres":
        from interviewer.adapters.store.sessions_postgres import PostgresSessionStore

        return PostgresSessionStore(_postgres_url(settings), indexer=listing_fields)
    if settings.store_kind == "redis":
        from interviewer.adapters.store.sessions_redis import RedisSessionStore

        assert settings.redis_url, "INTERVIEWER_REDIS_URL is required for the redis store"
        return RedisSessionStore.from_url(settings.redis_url)
    from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore

    sessions, admin = settings.sqlite_paths
    return SqliteSessionStore(sessions, indexer=listing_fields, with_admin=sessions == admin)


def build_events(settings: Settings) -> SessionEvents:
    """Redis pub/sub when several instances share the sessions (Redis, or Postgres + Redis),
    else in-process queues."""
    if settings.shares_events:
        from interviewer.adapters.events.redis_pubsub import RedisSessionEvents

        assert settings.redis_url
        return RedisSessionEvents.from_url(settings.redis_url)
    from interviewer.adapters.events.memory import MemorySessionEvents

    return MemorySessionEvents()


def build_judge(settings: Settings, encoder: Encoder) -> Judge:
    from interviewer.adapters.judge.offline.judge import OfflineJudge

    offline = OfflineJudge(encoder, max_concurrency=settings.grading_threads or None,
                           verify=settings.judge_verify, verifier=settings.judge_verifier)
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


def apply_torch_threads(settings: Settings) -> None:
    """INTERVIEWER_TORCH_THREADS, when set: the model's intra-op threads (process-wide)."""
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)


def build_services(
    settings: Settings, *, encoder: Encoder | None = None, bank: QuestionBank | None = None
) -> Services:
    """Everything the app needs; `encoder`/`bank` can be passed in to share them (tests, CLI)."""
    from interviewer.adapters.encoder.batching import BatchingEncoder
    from interviewer.core.rubric_derive import derive_rubric

    bank = bank or YamlQuestionBank.load(settings.bank_roots)
    apply_torch_threads(settings)
    base = encoder or SentenceTransformerEncoder.from_settings(settings)
    encoder = enc = BatchingEncoder(
        base, max_batch=settings.encoder_batch_max, max_wait_ms=settings.encoder_batch_wait_ms,
        max_queue=settings.grading_queue_max,
    )

    def derive(question_id: str, text: str, sample_answer: str) -> Rubric:
        return derive_rubric(question_id=question_id, question_text=text,
                             sample_answer=sample_answer, encoder=enc)

    from interviewer.wiring_admin import build_admin_store, build_dispatcher

    admin = build_admin_store(settings)
    return Services(
        settings=settings, bank=bank, encoder=encoder, judge=build_judge(settings, encoder),
        store=build_store(settings), retriever=build_retriever(settings, bank, encoder),
        derive=derive, admin=admin, webhooks=build_dispatcher(settings, admin),
        events=build_events(settings), **build_code(),
    )


def build_code() -> dict[str, Any]:
    """The coding-problem bank and the bubblewrap sandbox (started on first use; when bwrap is
    unusable every code run is refused with `sandbox_unavailable`)."""
    from interviewer.adapters.bank.code_problems import CodeBank
    from interviewer.adapters.sandbox.bwrap import BwrapRunner

    return {"code_bank": CodeBank(), "code_runner": BwrapRunner(pool_size=2, queue_limit=8)}


def build_retriever(settings: Settings, bank: QuestionBank, encoder: Encoder) -> Retriever:
    """The FAISS concept index, loaded when the bank's hash matches, else rebuilt and saved."""
    from interviewer.adapters.retrieval.faiss_index import FaissRetriever, load_or_build

    index, built = load_or_build(bank, encoder, Path(settings.data_dir) / "index")
    log.info("index.ready", extra={"cards": len(index.cards), "built": built})
    return FaissRetriever(bank, encoder, index)
