"""CLI sub-commands, one module per lifecycle area; each exposes ``register(app)``."""
