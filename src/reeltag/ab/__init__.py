"""A/B comparisons: paired offline comparisons of two runs or models (``paired``), and the online search
experiment (``online``, ``online_stats``, ``serving``: pure; ``events``: the event store; ``simulate``: simulated users)."""
