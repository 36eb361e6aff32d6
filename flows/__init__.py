"""Prefect flows over the capability packages' ``steps``: one module per flow, schedules in :mod:`flows.deployments`.

This is the only package that imports Prefect; its CLI commands (``cli``, ``cli_pool``) plug into ``reeltag``
through the ``reeltag.commands`` entry points. It ships in the
``reeltag`` distribution (see pyproject's ``packages.find``), so ``import flows`` works wherever reeltag is
installed and served deployments can import their entrypoints.
"""
