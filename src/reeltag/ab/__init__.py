"""A/B comparisons: paired offline comparisons of two runs or models (``paired``), and the online search
experiment (``online``, ``online_stats``, ``serving``: pure; ``events``: the event store, its one writer; ``event_log``: a day's requests with their event counts;
``online_day``: the
``ab-online`` step that summarises one experiment day and judges it). The demo's simulated users are
:mod:`reeltag.demo.simulated_users`."""
