"""reeltag benchmarks: each module exposes ``run(repeats) -> dict``; ``python -m bench`` runs them all."""
