"""Dask adapter, the only dask/distributed import: run picklable chunk tasks on a cluster and gather them in order.

``video.dask_address`` names a running scheduler (``tcp://127.0.0.1:8786``); empty starts a LocalCluster of
``video.dask_workers`` processes with one thread each for the call, bound to 127.0.0.1 (its HTTP/health
endpoint on a free port), and closes it after.
A chunk whose worker is lost (killed, out of memory) is rescheduled by the scheduler on another worker
(``distributed.scheduler.allowed-failures`` times); a chunk that raises is retried ``retries`` times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

CONNECT_TIMEOUT_S = 30


@contextmanager
def dask_client(address: str, workers: int) -> Iterator[Any]:
    """A client of the scheduler at ``address``, or of a LocalCluster of ``workers`` single-thread processes."""
    from distributed import Client, LocalCluster

    if address:
        with Client(address, timeout=CONNECT_TIMEOUT_S) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def map_chunks(
    work: Callable[[Any], Any],
    chunks: Sequence[Any],
    *,
    address: str,
    workers: int,
    retries: int = 2,
    on_done: Callable[[Any], None] | None = None,
) -> list[Any]:
    """``[work(chunk) for chunk in chunks]`` on Dask workers (results must pickle); ``on_done`` per finished chunk."""
    from distributed import as_completed

    with dask_client(address, workers) as client:
        futures = client.map(work, list(chunks), retries=retries, pure=False)
        for future in as_completed(futures):
            if on_done is not None:
                on_done(future.result())
        return list(client.gather(futures))
