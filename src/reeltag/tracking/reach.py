"""Is an error the MLflow tracking server being out of reach? (pure: looks mlflow up only if already imported)

A remote ``tracking.uri`` (an MLflow server) can stop answering mid-step; MLflow then raises
``MlflowException("API request to <url> failed with exception …")`` after its retries
(``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, ``MLFLOW_HTTP_REQUEST_TIMEOUT``). The CLI turns that into one line.
"""

from __future__ import annotations

import sys

_UNREACHABLE = ("API request to ", " failed with exception ")


def unreachable_server(exc: BaseException) -> str | None:
    """A one-line message when ``exc`` says the tracking server did not answer; None for any other error."""
    module = sys.modules.get("mlflow.exceptions")
    text = str(exc)
    if module is None or not isinstance(exc, module.MlflowException) or not all(p in text for p in _UNREACHABLE):
        return None
    url = text.split(_UNREACHABLE[0], 1)[1].split(_UNREACHABLE[1], 1)[0].split("/api/", 1)[0]
    return f"MLflow tracking server {url} did not answer (stopped or unreachable): the step stopped there; start the server and re-run"
