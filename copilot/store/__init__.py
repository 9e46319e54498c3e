"""The service's storage: tables (``models``), engine and migrations (``db``), plain
functions over a session (``repo``) and the hash-chained audit log (``audit``).

Kept import-free so ``copilot.settings`` can import ``copilot.store.db`` without pulling in
the rest (``repo`` imports ``copilot.auth``, which imports ``db``).
"""
