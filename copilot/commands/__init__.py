"""Sub-commands of ``copilot``, one module per area; each exposes ``register(app)``."""
