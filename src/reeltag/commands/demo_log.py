"""What ``reeltag demo`` shows: one line per finished flow and task on the terminal; Prefect's and MLflow's logs,
library warnings and progress bars go to a log file under the demo root (its path is printed)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

# set before Prefect and MLflow are imported: MLflow then adds no console handler of its own and draws no
# "Downloading artifacts" bars; its records reach the root logger, whose console handlers go to the file
QUIET_ENV = {"MLFLOW_CONFIGURE_LOGGING": "false", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
FINISHED = "Finished in state "


def quiet_environment() -> None:
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)


class StageLines(logging.Handler):
    """Prints ``flow retrain-tag2vec: Completed (41 s)`` / ``  task train-tag2vec-0: Cached`` as runs finish: every
    flow, the tasks of ``top`` (the demo flow itself), and the tasks of its sub-flows that did not simply complete
    (cached, failed), so the terminal stays within about 40 lines."""

    def __init__(self, console: Console, top: str = "poc-demo"):
        super().__init__(logging.INFO)
        self.console, self.started, self.top = console, time.perf_counter(), top

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(FINISHED):
            return
        state = message[len(FINISHED) :].split("(", 1)[0]
        task = getattr(record, "task_run_name", None)
        if task and state.strip() == "Completed" and getattr(record, "flow_name", None) != self.top:
            return
        what = f"  task {task}" if task else f"flow {getattr(record, 'flow_name', None) or getattr(record, 'flow_run_name', '?')}"
        self.console.print(f"{what}: {state} ({time.perf_counter() - self.started:.0f} s)", markup=False, highlight=False)


def _console_handlers() -> list[tuple[logging.Logger, logging.Handler]]:
    loggers = [logging.getLogger()] + [v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)]
    return [
        (lg, h)
        for lg in loggers
        for h in lg.handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]


@contextmanager
def demo_logging(log_file: Path, console: Console) -> Iterator[Path]:
    """Console handlers of every configured logger (Prefect's included) replaced by one file handler; stage lines
    on ``console``; Python warnings captured into the file. Everything is put back afterwards."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s - %(message)s"))
    moved, stages = _console_handlers(), StageLines(console)
    for logger, handler in moved:
        logger.removeHandler(handler)
        logger.addHandler(to_file)
    watched = [logging.getLogger(name) for name in ("prefect.flow_runs", "prefect.task_runs")]
    for logger in watched:
        logger.addHandler(stages)
    logging.captureWarnings(True)
    try:
        yield log_file
    finally:
        logging.captureWarnings(False)
        for logger in watched:
            logger.removeHandler(stages)
        for logger, handler in moved:
            logger.removeHandler(to_file)
            logger.addHandler(handler)
        to_file.close()
