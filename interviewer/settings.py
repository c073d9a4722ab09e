"""All configuration: one pydantic-settings class, env prefix INTERVIEWER_, `.env` supported."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from interviewer.options import JudgeMode, ResponseFormat, VerifierKind

REPO_ROOT = Path(__file__).resolve().parents[1]

CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every setting, documented in the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="INTERVIEWER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    data_dir: Path = Path("./data")
    builtin_bank: bool = True
    bank_paths: CommaList = Field(default_factory=list)
    frontend_dir: Path = REPO_ROOT / "frontend"

    store: Literal["auto", "sqlite", "redis", "postgres"] = "auto"
    redis_url: str | None = None
    # The system of record: `postgresql://user:pass@host:5432/db`, or `sqlite:///path/file.sqlite3`.
    # Unset: SQLite files under INTERVIEWER_DATA_DIR (or Redis alone, when only the Redis URL is set).
    database_url: str | None = None

    judge_model: str | None = None
    judge_api_base: str | None = None
    judge_api_key: SecretStr | None = None
    judge_timeout: float = Field(30.0, gt=0)
    judge_max_retries: int = Field(2, ge=0, le=10)
    judge_fallbacks: CommaList = Field(default_factory=list)
    judge_mode: JudgeMode = JudgeMode.SINGLE
    judge_max_concurrency: int = Field(8, ge=1)
    judge_disagreement: int = Field(25, ge=0, le=100)
    judge_max_tokens: int = Field(1024, ge=64)
    # How the output schema is sent: auto tries OpenAI's json_schema and switches to llama.cpp's
    # json_object+schema when a server rejects it; none sends no response_format.
    judge_response_format: ResponseFormat = ResponseFormat.AUTO
    encoder_path: str | None = None
    # The encoder's runtime: ONNX Runtime on a dynamic int8 export of the packaged weights (the
    # default since 2026-12-02: same ASAG agreement and robustness as torch, 2.5x the capacity),
    # on a float32 export, or torch (sentence-transformers). Exports are made offline on first use
    # into `encoder_cache_dir` (docs/performance.md).
    encoder_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    encoder_cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/interviewer/onnx
    encoder_batch_max: int = Field(256, ge=1)
    encoder_batch_wait_ms: float = Field(5.0, ge=0)
    grading_queue_max: int = Field(512, ge=1)
    # Interview answers graded at once per process (0: judge_max_concurrency); more wait their
    # turn and their candidate gets `grading.queued {position, eta_s}`.
    grading_slots: int = Field(0, ge=0)
    # The bubblewrap executable candidate code runs in (a name on PATH or a path). When it is
    # missing or cannot create a sandbox, coding questions are refused at start.
    sandbox_bwrap: str = Field("bwrap", min_length=1)
    # A cgroup directory (one with a `cgroup.procs` file, made and owned by the deployment) that
    # every sandbox joins before bwrap starts, e.g. one with a low cpu.weight: "" leaves sandboxes
    # in the server's cgroup. When it cannot be joined no sandbox starts (docs/deployment.md).
    sandbox_cgroup: str = ""
    worker_threads: int = Field(64, ge=4)
    # Offline grading runs in its own pool; 0 means twice the CPU count.
    grading_threads: int = Field(0, ge=0)
    # Grade in this many worker processes, each with its own model (0: in this process). The
    # sockets' process then only streams; a worker that dies is replaced and its job regraded.
    grader_processes: int = Field(0, ge=0, le=16)
    # Do not grade here: hand every offline grading job to the `interviewer grader` service through
    # Redis (a stream read by a consumer group; needs INTERVIEWER_REDIS_URL). A grader that dies
    # mid-job has its job claimed by another after `grader_claim_idle` seconds.
    remote_graders: bool = False
    grader_claim_idle: float = Field(30.0, gt=0)
    # The offline judge's claim verifier scores the answers it reads as several wrong claims
    # (confident misconceptions), and which one: the cross-encoder (`cross`) or the older head over
    # frozen token vectors (`head`). On by default since cross-v4, which overrules none of the bank's
    # sample answers with either encoder and no correct dev answer (docs/grading.md, "Ninth session").
    judge_verify: bool = True
    judge_verifier: VerifierKind = VerifierKind.CROSS
    # The verifier as a second reader only: the score stays the default judge's, and a grade where
    # it reads a quarter or more of the rubric's weight as contradicted is flagged
    # `claim_contradicted` (provisional). Wins over judge_verify: on, the verifier never scores.
    judge_verify_review: bool = False
    # The cross-encoder reads each clause of a criterion against this many of the answer's closest
    # sentences (plus what the contradiction rule needs); 0 reads every sentence against every
    # clause. 3 reads about 70 % of the pairs at the same rank agreement (docs/grading.md).
    judge_verify_top_k: int = Field(3, ge=0, le=50)
    # The cross-encoder verifier's runtime: ONNX Runtime on a float32 export of the merged model
    # (made offline on first use into `encoder_cache_dir`; 0.65-0.67x torch's time for the same
    # probabilities to 6e-6), or torch, as training runs it (docs/performance.md).
    judge_verifier_backend: Literal["onnx", "torch"] = "onnx"
    # torch's intra-op threads for the embedding model; 0 keeps torch's default (one per core).
    # 1 leaves a core to the event loop: steadier socket latency, less grading throughput.
    torch_threads: int = Field(0, ge=0)
    # On SIGTERM: seconds to let in-flight grading finish before sockets are told to reconnect.
    shutdown_grace: float = Field(20.0, ge=0)
    # On SIGTERM: seconds by which the process has exited whatever still runs; past them it writes
    # every thread's stack to stderr and exits with status 1 (a stop that hangs is a bug to read).
    # Must be longer than shutdown_grace.
    shutdown_deadline: float = Field(90.0, gt=0)
    # Orphaned grading: every instance renews a heartbeat in the store each `sweep_interval` seconds
    # and adopts the grading of sessions whose instance's heartbeat is older than `instance_ttl`.
    sweep_interval: float = Field(5.0, gt=0)
    instance_ttl: float = Field(15.0, gt=0)

    max_message_bytes: int = Field(64 * 1024, ge=1024)
    max_body_bytes: int = Field(1024 * 1024, ge=1024)  # largest REST request body
    max_answer_chars: int = Field(8000, ge=100)
    max_questions: int = Field(20, ge=1)
    default_num_questions: int = Field(3, ge=1)
    default_max_followups: int = Field(1, ge=0)
    ws_rate_per_second: float = Field(20.0, gt=0)
    ws_rate_burst: int = Field(60, ge=1)
    # Open websockets per client address (behind a trusted proxy: the real client): on all instances
    # together when redis_url is set (a dead instance's stop counting after instance_ttl), else on this one.
    ws_max_per_ip: int = Field(20, ge=1)
    # Seconds a socket may stay silent: before it has a session (start/resume), and after.
    ws_start_timeout: float = Field(60.0, gt=0)
    ws_idle_timeout: float = Field(900.0, gt=0)
    grade_batch_max: int = Field(100, ge=1)

    auth: Literal["on", "off"] = "off"
    default_org: str = Field("default", min_length=1, max_length=64)
    # Rate limits in the `limits` notation ("120/minute", "10/second;1000/hour"); "" disables one.
    rate_limit: str = "300/minute"  # REST requests per API key
    rate_limit_ip: str = "600/minute"  # REST requests per client IP
    ws_rate_limit: str = "3000/minute"  # websocket messages per API key and per client IP
    # Unauthenticated REST requests and websocket messages (auth on) per client IP, apart from the
    # rest so that they cannot use up an authenticated caller's allowance.
    rate_limit_anon: str = "60/minute"
    # Proxies (IPs or CIDR networks) whose X-Forwarded-For is believed; empty: the socket peer is
    # the client. Set it to the reverse proxy's network, or every client shares the proxy's limits.
    trusted_proxies: CommaList = Field(default_factory=list)
    public_url: str | None = None  # base URL put in `ws_url` (default: the request's own URL)
    # Hosts webhook URLs may point at (empty: any). Set it to keep partners off internal hosts.
    webhook_allowed_hosts: CommaList = Field(default_factory=list)
    # Let webhooks point at loopback, private, link-local or metadata addresses (tests, local sinks).
    webhook_allow_private: bool = False
    webhook_timeout: float = Field(10.0, gt=0)
    webhook_max_attempts: int = Field(8, ge=1, le=30)
    webhook_backoff_base: float = Field(2.0, gt=0)  # seconds; doubles after each failed attempt
    webhook_backoff_max: float = Field(600.0, gt=0)
    # Deliveries waiting in the outbox (the store), all webhooks together; beyond it events are dropped.
    webhook_backlog_max: int = Field(10_000, ge=1)
    idempotency_ttl: float = Field(24 * 3600.0, gt=0)
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("bank_paths", "judge_fallbacks", "webhook_allowed_hosts", "trusted_proxies",
                     mode="before")
    @classmethod
    def _split_commas(cls, v: object) -> object:
        if isinstance(v, str):
            return [part.strip() for part in v.split(",") if part.strip()]
        return v

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("postgresql://", "postgres://", "sqlite:///")):
            raise ValueError("INTERVIEWER_DATABASE_URL must start with postgresql:// or sqlite:///")
        return v or None

    @model_validator(mode="after")
    def _store_needs_its_url(self) -> Settings:
        if self.store == "redis" and not self.redis_url:
            raise ValueError("INTERVIEWER_STORE=redis needs INTERVIEWER_REDIS_URL=redis://...")
        if self.remote_graders and not self.redis_url:
            raise ValueError("INTERVIEWER_REMOTE_GRADERS=true needs INTERVIEWER_REDIS_URL=redis://...")
        if self.store == "postgres" and (not self.database_url
                                         or self.database_url.startswith("sqlite:")):
            raise ValueError("INTERVIEWER_STORE=postgres needs INTERVIEWER_DATABASE_URL=postgresql://...")
        if self.shutdown_deadline <= self.shutdown_grace:
            raise ValueError(
                f"INTERVIEWER_SHUTDOWN_DEADLINE ({self.shutdown_deadline:g} s) must be longer than "
                f"INTERVIEWER_SHUTDOWN_GRACE ({self.shutdown_grace:g} s): the deadline would cut "
                "in-flight grading short")
        return self

    @property
    def postgres_url(self) -> str:
        """The PostgreSQL URL of the postgres store (the validator guarantees one)."""
        if self.store_kind != "postgres" or not self.database_url:
            raise ValueError("the store is not PostgreSQL")
        return self.database_url

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for net in v:
            ipaddress.ip_network(net, strict=False)  # a ValueError names the bad entry
        return v

    @property
    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.trusted_proxies)

    @property
    def bank_roots(self) -> list[Path]:
        """The built-in bank (repo root) first, then the configured extra banks."""
        roots = [REPO_ROOT] if self.builtin_bank else []
        return roots + [Path(p) for p in self.bank_paths]

    @property
    def store_kind(self) -> Literal["sqlite", "redis", "postgres"]:
        """Where sessions and admin records live: Postgres when the database URL says so, else
        Redis when only a Redis URL is set (the lighter multi-instance mode), else SQLite."""
        if self.store == "auto":
            if self.database_url and not self.database_url.startswith("sqlite:"):
                return "postgres"
            return "redis" if self.redis_url and not self.database_url else "sqlite"
        return self.store

    @property
    def sqlite_paths(self) -> tuple[Path, Path]:
        """The sessions' and the admin records' SQLite files: both the URL's file when
        INTERVIEWER_DATABASE_URL is `sqlite:///...`, else the two files under the data dir."""
        if self.database_url and self.database_url.startswith("sqlite:///"):
            path = Path(self.database_url.removeprefix("sqlite:///"))
            return path, path
        return Path(self.data_dir) / "interviewer.sqlite3", Path(self.data_dir) / "admin.sqlite3"

    @property
    def shares_events(self) -> bool:
        """Live fan-out and rate limits go through Redis (several instances) when it is configured."""
        return bool(self.redis_url) and self.store_kind in ("redis", "postgres")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment and `.env`."""
    return Settings()


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine (auth may then be off)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_bind_refusal(host: str, auth: str) -> str | None:
    """Why serving on `host` is refused (auth off on a non-loopback address), or None."""
    if auth == "off" and not is_loopback(host):
        return (f"refusing to serve on {host} with INTERVIEWER_AUTH=off: anyone on the network "
                "could use and read every interview. Set INTERVIEWER_AUTH=on (and create keys with "
                "`interviewer keys create`) or bind 127.0.0.1.")
    return None
