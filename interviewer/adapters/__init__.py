"""Adapters: the technology behind each port (YAML, sentence-transformers, SQLite, Redis, FAISS, litellm)."""
