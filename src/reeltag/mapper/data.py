"""The mapper's inputs and champion, shared by its steps and by :mod:`reeltag.suggest`: the Tag2Vec space as a tag
index, company labels checked by their contract, labelled features per split, and the champion mapper."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd

from reeltag import quarantine
from reeltag.errors import ContractFailed, NotFound, ReeltagError, TooFewVideos
from reeltag.io import sha256_file
from reeltag.mapper.evaluate import Examples, Truth
from reeltag.mapper.labels import LabelRow, Normalise, assign_splits, label_records, normalise_tags, parse_record, split_tags
from reeltag.mapper.nearest import TagIndex
from reeltag.project import Project

if TYPE_CHECKING:
    from reeltag.mapper.model import MapperArgs, TagMapper
    from reeltag.tag2vec.space import TagSpace
    from reeltag.tracking.store import VersionInfo
    from reeltag.video.steps import FeatureBatch

MODEL = "mapper"
CONTRACT = "company_labels"
SOURCE = "mapper labels"


@dataclass(frozen=True, kw_only=True)
class LabelCheck:
    """The ``company_labels`` contract and parsing: how many rows were kept and why others were quarantined."""

    source: str
    sha256: str
    rows: int
    kept: int
    quarantined: int
    contract_version: str
    failures: tuple[str, ...]


@dataclass(frozen=True)
class CheckedLabels:
    check: LabelCheck
    rows: tuple[LabelRow, ...]


@dataclass(frozen=True, kw_only=True)
class FeatureCounts:
    videos: int
    encoded: int
    cached: int
    quarantined: int
    model_id: str
    weights_kind: str


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """Labelled videos with features, per split, as rows of the tag index."""

    labels: LabelCheck
    features: FeatureCounts
    splits: dict[str, Examples]
    rows: dict[str, tuple[LabelRow, ...]]


@dataclass(frozen=True)
class Champion:
    info: "VersionInfo"
    model: "TagMapper"
    args: "MapperArgs"


def load_champion_space(project: Project) -> TagSpace:
    """The Tag2Vec champion (from the Tag2Vec pipeline)."""
    from reeltag.tag2vec.steps import load_champion_tag2vec

    space, _ = load_champion_tag2vec(project)
    return space


def tag_index(space: TagSpace) -> TagIndex:
    """Every Tag2Vec tag (its tags are already the shown surface forms) with its unit vector."""
    return TagIndex.build(list(space.tags), np.asarray(space.vectors))


def label_normaliser(project: Project, space: TagSpace) -> Normalise:
    """The corpus rules (``#Cat``, ``cat``, ``#cat`` are one tag), then the space's canonical surface form."""
    from reeltag.corpus.steps import tag_rules
    from reeltag.corpus.tags import normalise_tag

    rules, canonical = tag_rules(project.settings.corpus), getattr(getattr(space, "surface", None), "canonical", None)

    def normalise(raw: str) -> str | None:
        tag, _ = normalise_tag(raw, rules)
        return canonical(tag) if tag and callable(canonical) else tag

    return normalise


def check_labels(project: Project, path: str | Path, normalise: Normalise) -> CheckedLabels:
    """Run the ``company_labels`` contract; quarantine failing rows; stop on a critical failure."""
    path = Path(path)
    if not path.is_file():
        raise ContractFailed(f"{CONTRACT}: label file {path} does not exist")
    records = label_records(path)
    summary = _validate(project, records, normalise)
    if summary.critical_failed:
        raise ContractFailed(f"{CONTRACT} contract failed for {path}: " + "; ".join(summary.failures()))
    row_reasons = summary.row_reasons()
    rows, bad = [], []
    allow_absolute = project.settings.paths.allow_absolute_manifest_paths
    for i, (line, record) in enumerate(records):
        parsed = _row_outcome(parse_record(record, path.parent, normalise, allow_absolute), row_reasons.get(i, ()))
        (bad.append((f"{path}:{line}", parsed)) if isinstance(parsed, str) else rows.append(parsed))
    quarantine.record(
        project.paths.quarantine, [quarantine.QuarantineRecord(kind="labels", item=i, reason=r, source=SOURCE) for i, r in bad]
    )
    check = LabelCheck(
        source=str(path),
        sha256=sha256_file(path),
        rows=len(records),
        kept=len(rows),
        quarantined=len(bad),
        contract_version=summary.contract_version,
        failures=tuple(summary.failures()),
    )
    return CheckedLabels(check, assign_splits(rows, project.settings.mapper.seed))


def _row_outcome(parsed: LabelRow | str, contract_reasons: Sequence[str]) -> LabelRow | str:
    """The row, or why it is quarantined (the parser's reason first, then the contract's)."""
    if not contract_reasons:
        return parsed
    contract = "contract: " + "; ".join(contract_reasons)
    return f"{parsed} ({contract})" if isinstance(parsed, str) else contract


def _validate(project: Project, records: list[tuple[int, Any]], normalise: Normalise) -> Any:
    from reeltag.contracts.runner import validate_frame

    return validate_frame(CONTRACT, label_frame(records, normalise), project.paths.contracts)


def label_frame(records: list[tuple[int, Any]], normalise: Normalise) -> pd.DataFrame:
    """One row per record: line, video, tags, split, n_tags (distinct normalised tags; null when unreadable)."""
    rows = []
    for line, rec in records:
        ok = isinstance(rec, dict)
        get = rec.get if ok else (lambda key: None)
        split = str(get("split")).strip().lower() if get("split") not in (None, "") else None
        n_tags = len(normalise_tags(split_tags(get("tags")), normalise)[0]) if ok else None
        rows.append(
            {"line": line, "video": get("video") or None, "tags": str(get("tags") or ""), "split": split, "n_tags": n_tags}
        )
    return pd.DataFrame(rows, columns=["line", "video", "tags", "split", "n_tags"])


def build_dataset(
    project: Project, labels: CheckedLabels, index: TagIndex, encoder: Any, on_progress: Callable[[int], None] | None = None
) -> Dataset:
    """Features of the labelled videos (cached; unreadable ones quarantined) as :class:`Examples` per split."""
    from reeltag.video.steps import extract_features

    batch = extract_features(project, [r.video for r in labels.rows], on_progress, encoder=encoder)
    found = {Path(f.video).resolve(): f for f in batch.features}
    splits, rows = {}, {}
    for name in ("train", "val", "test"):
        rows[name] = tuple(r for r in labels.rows if r.split == name and r.video.resolve() in found)
        videos = [found[r.video.resolve()] for r in rows[name]]
        feats = np.stack([v.pooled for v in videos]) if videos else np.zeros((0, 0), np.float32)
        truth = Truth.from_tags([r.tags for r in rows[name]], index.keys)
        splits[name] = Examples(feats.astype(np.float32), truth, tuple(v.frames for v in videos))
    return Dataset(labels=labels.check, features=feature_counts(batch), splits=splits, rows=rows)


def feature_counts(batch: "FeatureBatch") -> FeatureCounts:
    return FeatureCounts(
        videos=len(batch.features),
        encoded=batch.encoded,
        cached=batch.cached,
        quarantined=batch.quarantined,
        model_id=batch.model_id,
        weights_kind=batch.weights_kind,
    )


def require_splits(data: Dataset, names: Sequence[str]) -> None:
    empty = [n for n in names if not data.rows[n]]
    if empty:
        raise TooFewVideos(
            f"{data.labels.source}: no usable videos in split(s) {', '.join(empty)} "
            "(leave 'split' empty to have one assigned, or label more videos)"
        )


@overload
def load_champion(project: Project, space: TagSpace, required: Literal[True], strict: Literal[True] = ...) -> Champion: ...
@overload
def load_champion(project: Project, space: TagSpace, required: bool, strict: bool = True) -> Champion | None: ...
def load_champion(project: Project, space: TagSpace, required: bool, strict: bool = True) -> Champion | None:
    """The champion mapper. One trained against another Tag2Vec version than ``space`` is refused (``strict``)
    or ignored (training from scratch: it cannot be compared in another space)."""
    info = project.tracker.by_alias(MODEL, "champion")
    if info is None:
        if required:
            raise NotFound("no champion mapper yet: run `reeltag mapper train --labels LABELS` first")
        return None
    return load_version(project, info, space, strict)


def space_champion(project: Project) -> "VersionInfo | None":
    """The mapper champion when it was fitted on the current Tag2Vec champion (``depends_on.tag2vec``), else None."""
    from reeltag.registry.policy import champion_version

    champion = project.tracker.by_alias(MODEL, "champion")
    same_space = champion is not None and champion.tags.get("depends_on.tag2vec") == champion_version(project, "tag2vec")
    return champion if same_space else None


@overload
def load_version(project: Project, info: "VersionInfo", space: TagSpace, strict: Literal[True] = ...) -> Champion: ...
@overload
def load_version(project: Project, info: "VersionInfo", space: TagSpace, strict: bool) -> Champion | None: ...
def load_version(project: Project, info: "VersionInfo", space: TagSpace, strict: bool = True) -> Champion | None:
    """One registered mapper from its verified local copy (None when not ``strict`` and it lives in another space)."""
    from reeltag.mapper.train import load_mapper
    from reeltag.registry.policy import native_copy

    trained_on = info.tags.get("depends_on.tag2vec", "")
    if not strict and trained_on != str(space.version):
        return None
    require_tag2vec(trained_on, space.version, f"mapper v{info.version}")
    model, args = load_mapper(native_copy(project, info) / MODEL)
    return Champion(info, model, args)


def require_tag2vec(trained_on: str, champion: str, what: str) -> None:
    if str(trained_on) != str(champion):
        raise ReeltagError(
            f"{what} was trained against Tag2Vec version {trained_on or '?'}, but the Tag2Vec champion is version "
            f"{champion}: its vectors live in another space. Run `reeltag mapper train --labels LABELS` to train a "
            "mapper for the current Tag2Vec champion."
        )


def tag_texts(encoder: Any, index: TagIndex) -> np.ndarray:
    """Each candidate tag encoded as text by the video encoder (for the zero-shot baseline)."""
    return encoder.encode_texts([s.lstrip("#") for s in index.surface])


def load_project_encoder(project: Project) -> Any:
    """The encoder the project's ``[clip]`` settings name."""
    from reeltag.video.encoder import load_encoder

    return load_encoder(project.settings.clip, project.paths)


def configured_model_id(project: Project) -> str:
    """The model id of the configured encoder, without building it."""
    from reeltag.video.encoder import resolve_weights

    return resolve_weights(project.settings.clip, project.paths.root).model_id


def require_encoder(champion: Champion, model_id: str) -> None:
    """A mapper only understands features of the encoder it was trained on."""
    if champion.args.encoder_id and champion.args.encoder_id != model_id:
        raise ReeltagError(
            f"mapper v{champion.info.version} maps features of encoder {champion.args.encoder_id}, but the "
            f"configured encoder is {model_id}: set [clip] to that encoder or train a mapper for this one"
        )
