"""Who a reviewer is: a name claimed once by a POST with the page's CSRF token, then carried by a signed cookie.

The cookie holds a random browser id and the claimed name (empty before the claim), signed with HMAC-SHA256 under
``review.secret`` or a key generated once into ``data/review/secret.key`` (mode 0600); the store records which
browser claimed each name, so ``reeltag review release NAME`` takes a name back from its cookie. A page's CSRF token is the
HMAC of its browser id; every POST needs it in ``X-CSRF-Token``. Names are 1-64 of ``A-Z a-z 0-9 _ . @ -``, whole.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from reeltag.errors import BadInput

COOKIE = "reeltag_reviewer"
NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
KEY_BYTES = 32


@dataclass(frozen=True, kw_only=True)
class Visitor:
    browser: str  # random hex id of this browser's cookie
    name: str = ""  # the claimed reviewer name; empty before the claim

    @classmethod
    def new(cls) -> Visitor:
        return cls(browser=secrets.token_hex(16))


def _mac(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "\n".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


def cookie_value(secret: bytes, visitor: Visitor) -> str:
    """``browser.hexname.signature``: only hex digits and dots, so no cookie quoting applies."""
    return f"{visitor.browser}.{visitor.name.encode().hex()}.{_mac(secret, 'cookie', visitor.browser, visitor.name)}"


def read_cookie(secret: bytes, value: str | None) -> Visitor | None:
    """The visitor of a cookie this server signed; None when missing, malformed or signed with another key."""
    parts = (value or "").split(".")
    if len(parts) != 3:
        return None
    browser, hex_name, signature = parts
    try:
        name = bytes.fromhex(hex_name).decode("utf-8")
    except ValueError:
        return None
    expected = _mac(secret, "cookie", browser, name)
    if not browser or not signature.isascii() or not hmac.compare_digest(signature, expected):
        return None
    return Visitor(browser=browser, name=name)


def csrf_token(secret: bytes, visitor: Visitor) -> str:
    return _mac(secret, "csrf", visitor.browser)


def csrf_ok(secret: bytes, visitor: Visitor, given: str | None) -> bool:
    """Whether ``given`` is this visitor's CSRF token (a non-ASCII header is simply wrong)."""
    return given is not None and given.isascii() and hmac.compare_digest(given, csrf_token(secret, visitor))


def checked_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise BadInput("reviewer names are 1-64 letters, digits or . _ @ -")
    return name


def load_secret(path: Path, configured: str | None = None) -> bytes:
    """``configured`` (``review.secret``), else the key in ``path``, generated there once (mode 0600)."""
    if configured:
        return configured.encode("utf-8")
    if not path.exists():
        _write_key(path)
    if path.stat().st_mode & 0o077:
        raise BadInput(f"{path} is readable by others: chmod 600 it (it signs reviewer cookies)")
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise BadInput(f"{path} holds {len(key)} bytes, fewer than {KEY_BYTES}: remove it to generate a new key")
    return key


def _write_key(path: Path) -> None:
    """Write a random key to a private temp file, then link it into place (a concurrent writer's key wins whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
