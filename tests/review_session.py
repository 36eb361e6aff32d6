"""A reviewer's session on the review app, as the page does it: open the page, claim a name with the page's CSRF
token (``POST /reviewer``), lease the next item (``POST /next``). Works with a FastAPI ``TestClient`` or an
``httpx.Client`` (both keep the cookie). Importable from every test folder (tests/ is on sys.path)."""

from __future__ import annotations

import re
from typing import Any

CSRF = re.compile(r'data-csrf="([0-9a-f]{64})"')
ITEM = re.compile(r'data-item-id="(\d+)"')


def page_csrf(client: Any, prefix: str = "") -> dict[str, str]:
    """Open the page; the headers that carry its CSRF token."""
    page = client.get(f"{prefix}/")
    found = CSRF.search(page.text)
    assert page.status_code == 200 and found, page.text[:500]
    return {"X-CSRF-Token": found.group(1)}


def sign_in(client: Any, name: str, prefix: str = "") -> dict[str, str]:
    """Claim ``name`` from the page: the headers of the later POSTs."""
    csrf = page_csrf(client, prefix)
    claimed = client.post(f"{prefix}/reviewer", data={"name": name}, headers=csrf)
    assert claimed.status_code == 200, claimed.text
    return csrf


def next_panel(client: Any, csrf: dict[str, str], prefix: str = "") -> str:
    """The panel of the item ``POST /next`` leases (the one already held, else the next free one)."""
    panel = client.post(f"{prefix}/next", headers=csrf)
    assert panel.status_code == 200, panel.text
    return str(panel.text)


def item_id(html: str) -> int | None:
    found = ITEM.search(html)
    return int(found.group(1)) if found else None
