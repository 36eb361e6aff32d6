"""Reading users' text files (pure stdlib): a non-UTF-8 file or an unparseable CSV row is a one-line
:class:`BadInput` naming the file (and line), not a ``UnicodeDecodeError`` or ``csv.Error`` traceback."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reeltag.errors import BadInput


def read_utf8(path: Path) -> str:
    """The whole text of ``path`` (a UTF-8 byte-order mark is dropped)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8") from None


def csv_dict_rows(reader: csv.DictReader, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, row)`` of a CSV reader; a row csv cannot read (e.g. a field over its 128 KiB limit) stops
    with the file and line."""
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        # csv counts a line once it is parsed: the bad one is the next
        raise BadInput(f"{path}:{reader.line_num + 1}: unreadable CSV row ({exc})") from None
