"""The service's storage: tables (``models``), engine and migrations (``db``), plain
functions over a session (``repo``) and the hash-chained audit log (``audit``).

Kept import-free so ``copilot.settings`` can import ``copilot.store.db`` without pulling in
the rest. The store never imports ``copilot.auth`` (which reads keys and users from it):
identity is ``copilot.principal`` and visibility ``copilot.store.visibility``.
"""
