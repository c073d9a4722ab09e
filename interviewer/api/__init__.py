"""The thin HTTP and websocket layer."""
