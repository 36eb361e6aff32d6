"""Provenance of model files (pure stdlib): content digests of native folders and where artifacts may live.

A registered version records the sha256 of every native file (one digest over the sorted ``path → sha256``
list, the version tag ``reeltag.native_sha256``); a local copy is verified against it before anything in it is
loaded, so bytes swapped in the artifact store (or a stale copy) are refused instead of unpickled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from reeltag.errors import ReeltagError
from reeltag.io import sha256_file, sha256_json

NATIVE_SHA256 = "reeltag.native_sha256"


class IntegrityError(ReeltagError):
    """A model's files are not the ones its version recorded, or they live where they should not."""


def file_digests(folder: Path) -> dict[str, str]:
    """``relative path → sha256`` of every file under ``folder`` (posix paths, sorted)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in files}


def native_digest(layout: Mapping[str, str]) -> str:
    """One digest over a ``relative path → sha256`` listing."""
    return sha256_json(sorted(layout.items()))


def digest_of(folder: Path) -> str:
    return native_digest(file_digests(folder))


def verify_folder(folder: Path, expected: str | None, what: str) -> Path:
    """``folder`` when its files hash to ``expected``; :class:`IntegrityError` with the reason otherwise."""
    if not expected:
        raise IntegrityError(
            f"{what} has no recorded native-file hash ({NATIVE_SHA256}): it was registered by an older "
            "reeltag; re-train it so its files can be verified before loading"
        )
    if digest_of(folder) != expected:
        raise IntegrityError(
            f"{what}: the files at {folder} do not match the sha256 recorded at registration; "
            "refusing to load them (the artifact store was changed after the version was registered)"
        )
    return folder


def local_artifact_path(uri: str) -> Path | None:
    """The folder of a ``file:`` (or plain path) artifact URI; None for remote schemes."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path if parsed.scheme else uri))
    return None


def check_artifact_location(uri: str, allowed: Iterable[Path], remote_schemes: Iterable[str], what: str) -> str:
    """``uri`` when it lies in one of the ``allowed`` folders (after resolving symlinks) or uses one of
    ``remote_schemes`` (the tracking server's own store); :class:`IntegrityError` otherwise."""
    local = local_artifact_path(uri)
    if local is None:
        if urlparse(uri).scheme in set(remote_schemes):
            return uri
    else:
        real = local.resolve()
        if any(real.is_relative_to(Path(root).resolve()) for root in allowed):
            return uri
    raise IntegrityError(
        f"{what}: its artifacts are at {uri}, outside this project's stores; refusing to load them "
        "(add the location to tracking.artifact_roots if you trust it)"
    )
