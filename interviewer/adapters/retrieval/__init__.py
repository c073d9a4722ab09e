"""Retriever adapter: the FAISS concept index."""
