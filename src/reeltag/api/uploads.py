"""Uploaded videos on disk while ``/v1/suggest`` works on them: ``data/api/uploads/<pid>-<uuid><suffix>``.

The multipart body is parsed into a spooled temp file (at most 1 MiB in memory, then an anonymous file that
nothing outlives), copied here in 1 MiB chunks under the ``api.max_upload_mb`` limit, and removed when the
request ends, whichever way it ends. A file whose process no longer runs (a server killed mid-upload) is removed
when a server starts on the project; files of another running server are left alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from reeltag.api.service import Refused
from reeltag.project import Project

CHUNK = 2**20


def upload_folder(project: Project) -> Path:
    return project.paths.api / "uploads"


@contextmanager
def stored_upload(source: BinaryIO, folder: Path, suffix: str, cap: int) -> Iterator[Path]:
    """``source`` copied to a new file in ``folder`` (413 over ``cap`` bytes), removed when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{os.getpid()}-{uuid.uuid4().hex}{suffix}"
    try:
        with path.open("wb") as out:
            _copy(source, out, cap)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _copy(source: BinaryIO, out: BinaryIO, cap: int) -> None:
    size = 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > cap:
            raise Refused(413, "video", f"upload over {cap / 2**20:g} MiB; at most api.max_upload_mb")
        out.write(chunk)


def remove_leftovers(folder: Path) -> int:
    """Remove the upload files no running process owns (this one's included: at start it has none); how many."""
    left = [p for p in folder.glob("*") if p.is_file() and not _owner_runs(p.name)] if folder.is_dir() else []
    for path in left:
        path.unlink(missing_ok=True)
    return len(left)


def _owner_runs(name: str) -> bool:
    pid, dash, _ = name.partition("-")
    if not dash or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except PermissionError:
        return True  # another user's live process
    except (ProcessLookupError, OverflowError):
        return False
    return True
