"""The model registry's policy: register-and-gate, the aliases, comparisons (pure rules + the tracker's calls).

Modules: ``gates`` (pure: metrics + thresholds → ``Decision(go, reasons)``, the same rules for every model),
``policy`` (the one registration-and-gate step and the alias policy: ``champion`` in use, ``challenger`` newest that
passed, ``rollback`` the previous champion; manual promotion), ``compare`` (champion vs another version from their
runs' ``result.json`` records). No heavy library: MLflow is reached through :mod:`reeltag.tracking`.
"""
