"""Serve the local LLM judge model: `python scripts/llm_serve.py [--port N] [--detach]`.

Resolves the GGUF (INTERVIEWER_LLM_GGUF, else the packaged Gemma 3 270M assembled into
${INTERVIEWER_DATA_DIR:-./data}/models/), starts llama.cpp's OpenAI-compatible server on
127.0.0.1:${INTERVIEWER_LLM_PORT:-8081}, waits for /v1/models and prints the two env lines
that point the app at it. Run scripts/llm_wheel.sh first (make llm does both).
"""

from __future__ import annotations

from interviewer.llm_local import main

if __name__ == "__main__":
    raise SystemExit(main())
