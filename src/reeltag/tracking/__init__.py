"""Tracking: pure naming rules (``naming``), what the tracker hands out (``records``), results as ``result.json``
records (``results``), provenance digests (``integrity``), tracking off (``null``, ``off``), an unreachable server
(``reach``), and the only mlflow adapter (``store``)."""
