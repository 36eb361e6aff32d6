"""Data contracts: GX 1.x suites in ``data_contracts/*.json``; :mod:`reeltag.contracts.runner` is the only
module importing great_expectations (:mod:`reeltag.contracts.suites` reads the JSON without it)."""
