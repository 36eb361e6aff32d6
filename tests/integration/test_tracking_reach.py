"""An MLflow server that stops answering becomes one clear line; other MLflow errors are left alone."""

from __future__ import annotations

import pytest

from reeltag.tracking.reach import unreachable_server

pytestmark = pytest.mark.integration


def test_unreachable_tracking_server_is_one_line_and_other_errors_are_not_mapped() -> None:
    from mlflow.exceptions import MlflowException

    exc = MlflowException(
        "API request to http://127.0.0.1:5999/api/2.0/mlflow/runs/create failed with exception "
        "HTTPConnectionPool(host='127.0.0.1', port=5999): Max retries exceeded"
    )
    message = unreachable_server(exc)
    assert message is not None and "http://127.0.0.1:5999 did not answer" in message and "\n" not in message
    assert unreachable_server(MlflowException("RESOURCE_DOES_NOT_EXIST: no such run")) is None
    assert unreachable_server(ValueError("API request to x failed with exception y")) is None
