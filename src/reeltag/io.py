"""Small file helpers shared by every store: atomic writes and content hashes. Pure stdlib."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temp path beside ``target``; rename it onto ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _settle(tmp_path, target)
        os.replace(tmp_path, target)
        _fsync(target.parent)  # the rename itself is durable only once the folder is
    finally:
        tmp_path.unlink(missing_ok=True)


def _settle(tmp: Path, target: Path) -> None:
    """Give the temp file the mode the target keeps (or a new file gets under the umask), then make it durable.

    ``mkstemp`` creates 0600 files whatever the umask: replacing a 0644 file would hide it from its group."""
    os.chmod(tmp, stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask())
    _fsync(tmp)


def _umask() -> int:
    # No getter before Python 3.13: set and restore. 0o077 meanwhile, so a file another thread creates in
    # between is only ever more private, never more open.
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(target: str | Path, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text_atomic(target: str | Path, text: str) -> Path:
    return write_bytes_atomic(target, text.encode("utf-8"))


def write_json_atomic(target: str | Path, obj: Any) -> Path:
    return write_text_atomic(target, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def parse_json_line(text: str) -> tuple[Any, str]:
    """One untrusted JSON line → ``(value, "")``, or ``(None, why it is not usable JSON)``; never raises.

    ``json.loads`` raises more than ``JSONDecodeError``: ``RecursionError`` for a line of 90,000 ``[`` and a
    plain ``ValueError`` for an integer past Python's 4,300-digit limit. Either must quarantine one line, not
    stop a whole batch (and with it every later run that reads the same file).
    """
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    except ValueError as exc:
        return None, f"invalid JSON: {exc}"


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(obj: Any) -> str:
    return sha256_text(json.dumps(obj, sort_keys=True, default=str, separators=(",", ":")))


def place_dir(target: Path, fill: Callable[[Path], Path], keep_existing: Callable[[Path], bool] | None = None) -> Path:
    """Fill a temp folder beside ``target`` and rename the result onto it, so a half copy is never seen.

    ``fill(tmp)`` returns the folder to move into place. When the rename fails because another process placed
    ``target`` first, that copy is kept only if ``keep_existing(target)`` says it is good; otherwise (or without
    ``keep_existing``) the error is raised, never swallowed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=target.parent))
    try:
        fill(tmp).rename(target)
    except OSError:
        if not (target.is_dir() and keep_existing is not None and keep_existing(target)):
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
