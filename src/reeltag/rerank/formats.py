"""TREC search formats: runs, qrels, TRECVID sampled qrels, topics and video manifests (pure stdlib).

* run: ``qid Q0 docid rank score tag``. A topic's order is score (descending), then the rank column, then
  docid, so ties are ordered deterministically. A non-finite score (NaN, ±inf) is reported and its document
  is ranked below every finite one of the topic.
* qrels: ``qid 0 docid rel``; sampled qrels: ``qid 0 docid stratum rel`` with rel −1 = pooled but unjudged.
* topics: ``qid text``. Manifest: CSV ``docid,path`` (paths relative to the manifest's folder).

A malformed line raises :class:`BadInput` naming the file and line. Duplicates, unknown topics, non-finite
scores and refused manifest paths are returned as :class:`Issue` rows (the first occurrence wins), never
dropped silently.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reeltag.errors import BadInput
from reeltag.io import write_text_atomic
from reeltag.security import resolve_path


@dataclass(frozen=True)
class Issue:
    """Something in an input file that was kept or skipped on purpose, with where it is."""

    kind: str  # duplicate, unknown_topic, nonfinite_score, path_refused
    item: str  # "file:line"
    detail: str


@dataclass(frozen=True)
class Ranking:
    """One topic of a run, best first."""

    qid: str
    docids: tuple[str, ...]
    scores: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.docids)


@dataclass(frozen=True)
class Run:
    rankings: dict[str, Ranking]
    tag: str = "reeltag"
    issues: tuple[Issue, ...] = ()

    @property
    def qids(self) -> list[str]:
        return sorted(self.rankings)


@dataclass(frozen=True)
class Qrels:
    """Judgements per topic; ``strata`` is set for TRECVID sampled qrels (rel −1 = unjudged)."""

    judgments: dict[str, dict[str, int]]
    strata: dict[str, dict[str, int]] | None = None
    issues: tuple[Issue, ...] = ()

    @property
    def sampled(self) -> bool:
        return self.strata is not None


@dataclass(frozen=True)
class Topics:
    texts: dict[str, str]
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class Manifest:
    paths: dict[str, Path]
    issues: tuple[Issue, ...] = field(default=())


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BadInput(f"{path}: file not found")
    if not path.is_file():
        raise BadInput(f"{path}: not a file")


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, whitespace-split fields) of every non-blank line."""
    _check_file(path)
    with open(path, encoding="utf-8-sig", errors="strict") as fh:
        try:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    yield number, line.split()
        except UnicodeDecodeError as exc:
            raise BadInput(f"{path}: not UTF-8 text ({exc.reason})") from exc


def _number(path: Path, number: int, text: str, kind: type[int] | type[float], what: str) -> float | int:
    try:
        return kind(text)
    except ValueError:
        raise BadInput(f"{path}:{number}: {what} {text!r} is not a{'n integer' if kind is int else ' number'}") from None


def _expect(path: Path, number: int, parts: list[str], sizes: tuple[int, ...], layout: str) -> None:
    if len(parts) not in sizes:
        raise BadInput(f"{path}:{number}: expected '{layout}', got {len(parts)} fields")


def read_run(path: str | Path, known_topics: Iterable[str] | None = None) -> Run:
    """A TREC run; topics outside ``known_topics`` (when given) are kept and reported."""
    path = Path(path)
    rows: dict[str, dict[str, tuple[bool, float, int]]] = {}
    issues: list[Issue] = []
    tag = ""
    for number, parts in _lines(path):
        _expect(path, number, parts, (6,), "qid Q0 docid rank score tag")
        qid, _, docid, rank_text, score_text, tag = parts
        rank = int(_number(path, number, rank_text, int, "rank"))
        score = float(_number(path, number, score_text, float, "score"))
        where = f"{path}:{number}"
        if docid in rows.setdefault(qid, {}):
            issues.append(Issue("duplicate", where, f"docid {docid} repeated in topic {qid}; first line kept"))
            continue
        if not math.isfinite(score):
            issues.append(Issue("nonfinite_score", where, f"score {score_text} of {docid}: ranked last in topic {qid}"))
        rows[qid][docid] = (not math.isfinite(score), score, rank)
    issues += _unknown(path, rows, known_topics)
    return Run({qid: topic_ranking(qid, docs) for qid, docs in rows.items()}, tag or "reeltag", tuple(issues))


def topic_ranking(qid: str, docs: Mapping[str, tuple[bool, float, int]]) -> Ranking:
    """One topic in run order from ``docid → (score not finite, score, rank)``: score ↓, then rank, then docid."""

    def key(docid: str) -> tuple[bool, float, int, str]:
        bad, score, rank = docs[docid]
        return bad, 0.0 if bad else -score, rank, docid

    order = sorted(docs, key=key)
    return Ranking(qid, tuple(order), tuple(docs[d][1] for d in order))


def _unknown(path: Path, topics: Iterable[str], known: Iterable[str] | None) -> list[Issue]:
    if known is None:
        return []
    known_set = set(known)
    return [
        Issue("unknown_topic", f"{path}", f"topic {qid} is not in the topics/qrels") for qid in topics if qid not in known_set
    ]


def read_qrels(path: str | Path) -> Qrels:
    """Plain (4 fields) or sampled (5 fields) qrels; every line of a file must have the same layout."""
    path = Path(path)
    judgments: dict[str, dict[str, int]] = {}
    strata: dict[str, dict[str, int]] = {}
    issues: list[Issue] = []
    width = 0
    for number, parts in _lines(path):
        width = width or len(parts)
        _expect(path, number, parts, (width,) if width in (4, 5) else (4, 5), "qid 0 docid [stratum] rel")
        qid, docid, rel = parts[0], parts[2], int(_number(path, number, parts[-1], int, "relevance"))
        if docid in judgments.setdefault(qid, {}):
            issues.append(Issue("duplicate", f"{path}:{number}", f"docid {docid} judged twice for topic {qid}; first kept"))
            continue
        judgments[qid][docid] = rel
        if width == 5:
            strata.setdefault(qid, {})[docid] = int(_number(path, number, parts[3], int, "stratum"))
    if not judgments:
        raise BadInput(f"{path}: no judgements")
    return Qrels(judgments, strata if width == 5 else None, tuple(issues))


def read_topics(path: str | Path) -> Topics:
    """``qid text`` per line (text may contain spaces)."""
    path = Path(path)
    texts: dict[str, str] = {}
    issues: list[Issue] = []
    for number, parts in _lines(path):
        if len(parts) < 2:
            raise BadInput(f"{path}:{number}: expected 'qid text', got {' '.join(parts)!r}")
        if parts[0] in texts:
            issues.append(Issue("duplicate", f"{path}:{number}", f"topic {parts[0]} repeated; first kept"))
            continue
        texts[parts[0]] = " ".join(parts[1:])
    return Topics(texts, tuple(issues))


def read_manifest(path: str | Path, allow_absolute: bool = False) -> Manifest:
    """CSV ``docid,path``. Relative paths must stay under the manifest's folder; refused rows are reported."""
    path = Path(path)
    _check_file(path)
    base = path.parent.resolve()
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadInput(f"{path}: not a UTF-8 CSV file ({exc})") from None
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["docid", "path"]:
        raise BadInput(f"{path}:1: expected the header 'docid,path'")
    paths: dict[str, Path] = {}
    issues: list[Issue] = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise BadInput(f"{path}:{number}: expected 'docid,path', got {','.join(row)!r}")
        issue = _add_manifest_row(paths, row[0].strip(), row[1].strip(), base, allow_absolute, f"{path}:{number}")
        issues += [issue] if issue else []
    return Manifest(paths, tuple(issues))


def _add_manifest_row(
    paths: dict[str, Path], docid: str, text: str, base: Path, allow_absolute: bool, where: str
) -> Issue | None:
    if docid in paths:
        return Issue("duplicate", where, f"docid {docid} listed twice; first kept")
    target = Path(text).expanduser()
    if target.is_absolute() and not allow_absolute:
        return Issue("path_refused", where, f"absolute path {text} refused (paths.allow_absolute_manifest_paths=false)")
    resolved = resolve_path(target if target.is_absolute() else base / target)
    if not target.is_absolute() and not resolved.is_relative_to(base):
        return Issue("path_refused", where, f"path {text} leaves the manifest folder {base}")
    paths[docid] = resolved
    return None


def search_set(folder: str | Path) -> dict[str, Path]:
    """The search-set layout: ``base.run``, ``topics.txt``, ``qrels.txt``, ``manifest.csv`` in one folder."""
    folder = Path(folder)
    return {
        "run_path": folder / "base.run",
        "topics_path": folder / "topics.txt",
        "qrels_path": folder / "qrels.txt",
        "manifest_path": folder / "manifest.csv",
    }


def format_run(run: Run, tag: str | None = None) -> str:
    """TREC run text, topics sorted, ranks 1..n in each ranking's order."""
    name = tag or run.tag
    lines = [
        f"{qid} Q0 {docid} {rank} {score:.10g} {name}"
        for qid in run.qids
        for rank, (docid, score) in enumerate(zip(run.rankings[qid].docids, run.rankings[qid].scores), 1)
    ]
    return "".join(line + "\n" for line in lines)


def write_run(path: str | Path, run: Run, tag: str | None = None) -> Path:
    return write_text_atomic(path, format_run(run, tag))


def format_qrels(qrels: Qrels) -> str:
    lines = []
    for qid in sorted(qrels.judgments):
        for docid, rel in sorted(qrels.judgments[qid].items()):
            stratum = f" {qrels.strata[qid][docid]}" if qrels.strata is not None else ""
            lines.append(f"{qid} 0 {docid}{stratum} {rel}\n")
    return "".join(lines)


def write_qrels(path: str | Path, qrels: Qrels) -> Path:
    return write_text_atomic(path, format_qrels(qrels))
