"""CRM delivery: confirmed call summaries go out as signed, retried, idempotent webhooks.

The flow is a transactional outbox. Confirming a call adds a row to ``crm_outbox`` in the
same transaction (:func:`copilot.crm.outbox.enqueue`); the :class:`~copilot.crm.worker.
DeliveryWorker` later posts it with Standard-Webhooks signature headers, retries with
exponential back-off and gives up (``dead``) after a bounded number of attempts.

Nothing heavy is imported here: :mod:`copilot.settings` imports :mod:`copilot.crm.config`,
and that must not pull in httpx or SQLAlchemy.
"""
