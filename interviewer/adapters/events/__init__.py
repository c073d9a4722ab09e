"""SessionEvents adapters: in-process queues and Redis pub/sub."""
