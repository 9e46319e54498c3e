"""The manager dashboard: server-rendered pages under ``/dashboard``.

Managers and admins sign in with their API key once; the browser then holds a signed,
HttpOnly session cookie (``session.py``). Pages list the compliance flags the signed-in
person may see, let them acknowledge or resolve one with a comment (audited by the store),
export the current filter as CSV, and show the org's hash-chained audit trail.

``routes.router`` is included by ``copilot.service.app``; the pages read the database
through ``request.app.state.service`` (anything with ``sessions`` and ``settings``).
"""
