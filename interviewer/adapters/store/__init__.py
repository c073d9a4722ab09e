"""Storage adapters: the SessionStore and AdminStore ports on SQLite, Redis and PostgreSQL, with
their schema and migrations."""
