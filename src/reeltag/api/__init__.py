"""``reeltag api``: suggest and rerank over HTTP (FastAPI + uvicorn), champions loaded once and swapped live.

Modules: ``loaders`` (the only registry access), ``champions`` (load and swap), ``service`` (the serving state),
``lanes`` (bounded executors: query text encoding, video work), ``uploads`` (uploaded files on disk),
``suggest_service`` and ``rerank_service`` (a request → the same domain functions as the CLI), ``schemas`` (request/response bodies), ``metrics`` (the only
prometheus_client import), ``guard`` (Host allow-list, token, JSON-only routes, body size, bind rule), ``routes_*`` (one router each;
``routes_rerank`` also the ``/v1/rerank`` fast path in front of FastAPI), ``refusals`` (the error answers both share),
``app`` (the FastAPI app and its mount point for extra routers), ``connections`` (read deadlines, the connection
cap, and the head cap, on uvicorn's httptools protocol), ``server`` (uvicorn with those limits, for ``reeltag api`` and ``reeltag review``).
fastapi and uvicorn are imported only in ``routes_*``, ``app``, ``connections`` and ``server`` (starlette's
``JSONResponse`` in ``refusals``).
"""
