"""Encoder adapters: sentence-transformers on the packaged model, and micro-batching around it."""
