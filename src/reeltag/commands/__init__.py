"""CLI sub-commands, one module per capability (``suggest``, ``mapper``, ``tag2vec``, ``text``, ``corpus``, ``clip``,
``rerank``, ``review``, ``registry``, ``report``, ``api``, ``core``); each exposes ``register(app)``. The commands that
run Prefect flows are ``flows/cli.py`` and ``flows/cli_pool.py`` (entry points of the ``reeltag.commands`` group)."""
