"""Prefect flows over ``reeltag.pipelines``: one module per flow, schedules in :mod:`flows.deployments`.

This is the only package (besides the CLI's flow commands, lazily) that imports Prefect. It ships in the
``reeltag`` distribution (see pyproject's ``packages.find``), so ``import flows`` works wherever reeltag is
installed and served deployments can import their entrypoints.
"""
