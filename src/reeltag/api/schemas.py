"""Request and response bodies of the HTTP API (pydantic; bounds that depend on settings are checked by the
service and answered 4xx with the field and the reason)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import (
    Annotated,
    Any,
    NotRequired,  # pydantic needs typing_extensions' TypedDict before 3.12
    TypeVar,
)

import orjson
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator
from typing_extensions import TypedDict

HARD_TEXT_CAP = 100_000  # characters; the configured caps (api.max_*) are lower
UNION_TAGS = {("candidates", "list"), ("candidates", "columns")}  # the forms of RerankRequest.candidates


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StrictBody(Strict):
    """A request body: no unknown fields and no coercion (``"1.5"``, ``true`` or ``false`` for a number is 422)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ErrorBody(BaseModel):
    """Every 4xx and 503 answer: the reason, and the field it is about when there is one."""

    detail: str = Field(description="What was wrong and what to do.")
    field: str | None = Field(None, description="The body field or setting it is about (dotted path).")
    errors: list[dict[str, Any]] | None = Field(None, description="Schema errors: up to 20 of them, each with loc, msg, type.")


class Readiness(BaseModel):
    ready: bool
    rerank: bool
    suggest: bool
    errors: dict[str, str] = Field(description="Why a champion is not served, by model.")


class Candidate(TypedDict):
    """One of the engine's top-k, as strict as a :class:`StrictBody` (a dict, not a model: a thousand of them are
    validated twice as fast)."""

    __pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[misc]
    docid: Annotated[str, Field(min_length=1, max_length=HARD_TEXT_CAP, description="Document id (catalogue key).")]
    score: Annotated[float, Field(allow_inf_nan=False, description="The engine's score (finite).")]
    rank: NotRequired[Annotated[int | None, Field(ge=0, description="The engine's rank; breaks score ties (then docid).")]]


class CandidateColumns(StrictBody):
    """The engine's top-k as columns, one entry per candidate at the same position in each: parsed without a
    dictionary per candidate, and answered in columns too (:class:`RerankedColumns`)."""

    docids: list[Annotated[str, Field(min_length=1, max_length=HARD_TEXT_CAP)]] = Field(
        min_length=1, description="Document ids (catalogue keys), distinct."
    )
    scores: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(
        min_length=1, description="The engine's scores (finite), as many as docids."
    )
    ranks: list[Annotated[int, Field(ge=0)] | None] | None = Field(
        None, description="The engine's ranks (break score ties, then docid), as many as docids; null: by position."
    )

    @model_validator(mode="after")
    def _same_lengths(self) -> CandidateColumns:
        lengths = {len(self.docids), len(self.scores), len(self.docids if self.ranks is None else self.ranks)}
        if len(lengths) > 1:
            raise ValueError(
                f"docids, scores and ranks must be as long as each other ({len(self.docids)}, {len(self.scores)}, "
                f"{'absent' if self.ranks is None else len(self.ranks)})"
            )
        return self


def _candidates_form(value: Any) -> str:
    return "columns" if isinstance(value, (dict, CandidateColumns)) else "list"


class RerankRequest(StrictBody):
    query: str = Field(min_length=1, max_length=HARD_TEXT_CAP, description="Query text (≤ api.max_query_chars).")
    qid: str | None = Field(None, max_length=HARD_TEXT_CAP, description="Query id, echoed back.")
    candidates: Annotated[
        Annotated[list[Candidate], Field(min_length=1), Tag("list")] | Annotated[CandidateColumns, Tag("columns")],
        Discriminator(_candidates_form),
    ] = Field(
        description="The engine's top-k (1 to api.max_candidates, distinct docids): a list of {docid, score, rank}, or "
        "the same as columns {docids, scores, ranks} (faster to parse and to answer: the results come back as columns)."
    )
    depth: int | None = Field(None, ge=1, description="Rerank only the top-depth (default: the champion's depth).")
    alpha: float | None = Field(None, ge=0.0, le=1.0, allow_inf_nan=False, description="Weight of CLIP (default: champion's).")
    user: str | None = Field(None, min_length=1, max_length=256, description="User or session id ([ab.online] assignment).")

    @cached_property
    def candidate_columns(self) -> tuple[list[str], list[float], list[int | None] | None]:
        """The candidates' docids, scores and ranks (``None``: no rank given) in the order sent, whichever form."""
        given = self.candidates
        if isinstance(given, CandidateColumns):
            return given.docids, given.scores, given.ranks
        ranks = [c.get("rank") for c in given]
        return [c["docid"] for c in given], [c["score"] for c in given], ranks if ranks.count(None) < len(ranks) else None


class RerankModel(Strict):
    version: str
    alpha: float
    normalisation: str
    pooling: str
    encoder: str
    weights_kind: str


class RerankedDoc(Strict):
    docid: str
    score: float
    rank: int
    engine_rank: int
    clip: float | None = Field(description="Pooled CLIP score; null without cached features or below depth.")


class RerankedColumns(Strict):
    """The results as columns (the answer to a :class:`CandidateColumns` request), in the order served: position
    ``i`` of each column is the result ranked ``i + 1``."""

    docids: list[str]
    scores: list[float]
    engine_ranks: list[int]
    clip: list[float | None] = Field(description="Pooled CLIP score; null without cached features or below depth.")


class OnlineArm(Strict):
    name: str
    method: str
    variant: str = Field(description="engine, champion, challenger, or interleaved.")
    teams: list[str] | None = Field(description="Interleaving: the variant each result was drafted for.")


class RerankResponse(Strict):
    request_id: str
    qid: str | None
    model: RerankModel
    results: list[RerankedDoc] | RerankedColumns = Field(
        description="In the order served: a list of results, or columns when the request sent its candidates as columns."
    )
    missing: list[str] = Field(description="Candidates without cached features (kept their normalised engine score).")
    experiment: OnlineArm | None = Field(None, description="The online experiment's variant (or teams) when one ran.")


@dataclass(frozen=True, kw_only=True)
class RerankAnswer:
    """A :class:`RerankResponse` in columns, in the order served, written straight to its JSON bytes: a
    thousand results never become a thousand models or dicts to validate (``RerankResponse`` is its schema, and
    a test reads every answer back through it)."""

    request_id: str
    qid: str | None
    model: RerankModel
    docids: list[str]
    scores: list[float]
    engine_ranks: list[int]
    clip: list[float | None]
    missing: list[str]
    experiment: OnlineArm | None = None
    columns: bool = False  # the results written as columns (the request sent its candidates so)

    def engine_order(self) -> list[str]:
        """The docids in the engine's order."""
        return [d for _, d in sorted(zip(self.engine_ranks, self.docids))]

    def reordered(self, docids: Sequence[str], experiment: OnlineArm) -> RerankAnswer:
        """The same results shown in ``docids``' order (each keeps its score, engine rank and CLIP score)."""
        at = {d: i for i, d in enumerate(self.docids)}
        order = [at[d] for d in docids]
        return replace(
            self,
            docids=[self.docids[i] for i in order],
            scores=[self.scores[i] for i in order],
            engine_ranks=[self.engine_ranks[i] for i in order],
            clip=[self.clip[i] for i in order],
            experiment=experiment,
        )

    def json(self) -> bytes:
        """The answer as :class:`RerankResponse` JSON (``rank`` is the position served, from 1)."""
        return orjson.dumps(
            {
                "request_id": self.request_id,
                "qid": self.qid,
                "model": self.model.model_dump(),
                "results": self._results(),
                "missing": self.missing,
                "experiment": self.experiment.model_dump() if self.experiment else None,
            }
        )

    def _results(self) -> list[dict[str, Any]] | dict[str, list[Any]]:
        if self.columns:
            return {"docids": self.docids, "scores": self.scores, "engine_ranks": self.engine_ranks, "clip": self.clip}
        columns = zip(self.docids, self.scores, self.engine_ranks, self.clip)
        return [
            {"docid": d, "score": s, "rank": i, "engine_rank": e, "clip": c} for i, (d, s, e, c) in enumerate(columns, start=1)
        ]


class SuggestRequest(StrictBody):
    video: str = Field(min_length=1, max_length=4096, description="A catalogue docid, or a path under api.video_root.")
    k: int | None = Field(None, ge=1, description="Tags to return (≤ api.max_k; default mapper.k).")
    exclude: list[str] = Field(default_factory=list, max_length=10_000, description="Tags never suggested.")
    allow: list[str] | None = Field(None, max_length=1_000_000, description="Only these tags (when given).")
    min_score: float | None = Field(None, ge=-1.0, le=1.0, allow_inf_nan=False, description="Drop tags below this cosine.")
    text: str | None = Field(
        None,
        max_length=1_000_000,
        description="Title/description of the video (optional): the text branch when the fusion serves. Text it cannot "
        "use (empty, over text.max_chars, no known word, emoji only) is not an error: the visual branches rank alone "
        "and `note` says why.",
    )


class SuggestedTag(Strict):
    tag: str
    score: float = Field(description="Cosine in the tag space (mapper alone) or fused z-score (fusion).")
    branch: str = Field(description="Which branch produced the tag: mapper, knn or text.")


class SuggestResponse(Strict):
    request_id: str
    video: str
    tags: list[SuggestedTag]
    k: int
    mapper_version: str
    tag2vec_version: str
    encoder: str
    weights_kind: str
    ranking: str = Field(description="'fused vN (weights)' when reeltag.fusion ranked, else 'mapper alone: <why>'.")
    note: str = Field(description="Why the request's text was not used ('' when it was, or when none was sent).")


class BodyRefused(ValueError):
    """A body that is not valid JSON or does not fit its schema: ``field`` and the reason (answered 422)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], raw: bytes | Any) -> M:
    """``model`` from JSON bytes, strictly (or from form fields, which are text: numbers from their text); the
    first error names its field."""
    try:
        return model.model_validate_json(raw) if isinstance(raw, (bytes, str)) else model.model_validate(raw, strict=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in _body_path(first["loc"])) or "body"
        raise BodyRefused(where, f"{first['msg']} ({first['type']})") from None


def parse_json_native(model: type[M], raw: bytes) -> M:
    """:func:`parse_body` for a model whose fields are all JSON's own types (str, int, float, bool, null, and lists
    and objects of them), where strict validation of the parsed Python objects accepts what strict validation of
    the JSON accepts, with the same values; about 3 times faster when the CPU cache is cold, as a request after
    another's scoring finds it (``python -m bench.profile_api``: 0.43 ms → 0.16 ms for 1,000 candidates as
    columns): orjson parses, pydantic validates the objects. What either refuses (NaN literals, integers past 64
    bits that orjson reads as floats, lone surrogates, any schema error) goes through :func:`parse_body`, so the
    answer and its error are the ones JSON validation gives."""
    try:
        return model.model_validate(orjson.loads(raw))
    except (orjson.JSONDecodeError, ValidationError):
        return parse_body(model, raw)


def _body_path(loc: Sequence[int | str]) -> Sequence[int | str]:
    """An error's location as a path in the body: without the form tag pydantic puts after ``candidates``."""
    return (loc[0], *loc[2:]) if tuple(loc[:2]) in UNION_TAGS else loc
