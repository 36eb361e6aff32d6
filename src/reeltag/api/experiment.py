"""The online experiment inside ``reeltag api``: arrange a /v1/rerank answer for its user (and remember what
was shown), and validate /v1/feedback events against the request they answer before they are stored. Every store
call runs on the store's own lane (:mod:`reeltag.api.store_lane`); ``simulated`` comes from the server's
settings only, and the assignment salt is secret (never the experiment name)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from reeltag.ab.events import Event, EventStore, ServedRequest
from reeltag.ab.serving import Arranged, arrange, in_window, rankings_needed, running, uses_challenger, utc
from reeltag.api.champions import NO_CHAMPION, Champions
from reeltag.api.metrics import ApiMetrics
from reeltag.api.schemas import (
    BodyRefused,
    OnlineArm,
    RerankAnswer,
    RerankRequest,
    Strict,
    StrictBody,
    parse_body,
)
from reeltag.api.service import Refused
from reeltag.api.store_lane import StoreLane
from reeltag.config import AbOnlineSection
from reeltag.errors import NotFound
from reeltag.project import Project


class FeedbackEvent(StrictBody):
    docid: str = Field(min_length=1, max_length=10_000)
    type: Literal["click", "play", "like"]
    position: int = Field(ge=1, description="1-based position of the docid in the answer it comes from.")
    ts: datetime = Field(
        description="When it happened (ISO 8601; naive = UTC); not before its request was served nor after the "
        "server's clock, give or take ab.online.max_clock_skew_s."
    )


class FeedbackRequest(StrictBody):
    request_id: str = Field(min_length=1, max_length=256)
    events: list[FeedbackEvent] = Field(min_length=1, description="At most ab.online.max_events.")


class NotStored(Strict):
    docid: str
    type: str
    reason: str


class FeedbackAnswer(Strict):
    request_id: str
    accepted: int = Field(description="Events stored now.")
    duplicates: list[NotStored] = Field(description="Events stored before (reason: already recorded).")


class Experiment:
    """The ``[ab.online]`` experiment of a project and its event store (no name: /v1/rerank as before)."""

    def __init__(self, cfg: AbOnlineSection, store: EventStore, metrics: ApiMetrics):
        self.cfg, self.store, self.metrics = cfg, store, metrics
        self.lane = StoreLane(workers=cfg.store_workers, busy_s=cfg.busy_timeout_s, metrics=metrics)
        self.salt = cfg.salt.get_secret_value() if cfg.salt else store.salt(cfg.name) if cfg.name else ""

    @classmethod
    def for_project(cls, project: Project, metrics: ApiMetrics) -> Experiment:
        cfg = project.settings.ab.online
        store = EventStore.of(project)
        return cls(cfg, store.create() if cfg.name else store, metrics)

    def require_arms(self, champions: Champions) -> None:
        """Refuse to serve an experiment whose challenger arm has no reranker (never a silent champion instead)."""
        if uses_challenger(self.cfg) and champions.challenger is None:
            raise NotFound(
                f"online experiment {self.cfg.name!r}: {champions.errors.get('challenger', NO_CHAMPION['challenger'])}"
            )

    def arrange_response(
        self, req: RerankRequest, score: Callable[[str], RerankAnswer]
    ) -> tuple[RerankAnswer, ServedRequest | None]:
        """The answer for ``req.user``'s variant (or the interleaving) and what to record of it (before it is
        returned: :meth:`record`); ``score(arm)`` reranks the request with the champion's or the challenger's reranker."""
        if req.user is None or not running(self.cfg, datetime.now(UTC)):
            return score("champion"), None
        needed = [arm for arm in rankings_needed(self.cfg, req.user, salt=self.salt) if arm != "engine"] or ["champion"]
        answers = {arm: score(arm) for arm in needed}  # the engine's order is every answer's engine_rank
        base = answers[needed[-1]]  # the treatment's answer when two were scored
        rankings = {arm: answer.docids for arm, answer in answers.items()}
        rankings["engine"] = base.engine_order()
        shown = arrange(self.cfg, req.user, base.request_id, rankings, salt=self.salt)
        info = OnlineArm(
            name=self.cfg.name, method=self.cfg.method, variant=shown.variant, teams=list(shown.teams) if shown.teams else None
        )
        return base.reordered(shown.docids, info), self._served(req.user, base.request_id, shown)

    def _served(self, user: str, request_id: str, shown: Arranged) -> ServedRequest:
        return ServedRequest(
            request_id=request_id,
            experiment=self.cfg.name,
            user=user,
            variant=shown.variant,
            served=time.time(),
            docids=shown.docids,
            teams=shown.teams,
            simulated=self.cfg.simulated,
        )

    def record(self, served: ServedRequest) -> None:
        """Store what was shown (run it on :attr:`lane`); a request dropped at the store's cap is counted."""
        self.metrics.ab_dropped.labels("requests").inc(self.store.record_requests([served]))

    def accept_feedback(self, raw: bytes) -> FeedbackAnswer:
        """Store the body's events, or refuse all of them with the reason (counted in the store); run it on :attr:`lane`."""
        request_id = None
        try:
            if not self.cfg.name:
                raise Refused(404, "experiment", "no online experiment configured ([ab.online] name is empty)")
            body = parse_body(FeedbackRequest, raw)
            request_id = body.request_id
            served = self._checked(body)
        except (Refused, BodyRefused) as exc:
            if self.cfg.name:
                self.metrics.ab_dropped.labels("refusals").inc(self.store.refuse(request_id, str(exc.reason)))
            raise
        appended = self.store.append(
            served.request_id,
            [Event(docid=e.docid, type=e.type, position=e.position, ts=utc(e.ts).timestamp()) for e in body.events],
        )
        if appended.dropped:
            self.metrics.ab_dropped.labels("events").inc(appended.dropped)
            raise Refused(
                503,
                "store",
                f"the A/B event store is full (ab.online.max_store_mb={self.cfg.max_store_mb:g}); nothing stored",
                retry_after_s=3600,
            )
        duplicates = [NotStored(docid=d.docid, type=d.type, reason="already recorded") for d in appended.duplicates]
        return FeedbackAnswer(request_id=served.request_id, accepted=appended.accepted, duplicates=duplicates)

    def _checked(self, body: FeedbackRequest) -> ServedRequest:
        if len(body.events) > self.cfg.max_events:
            raise Refused(
                413, "events", f"{len(body.events)} events; at most ab.online.max_events={self.cfg.max_events} per body"
            )
        served = self.store.request(body.request_id)
        if served is None or served.experiment != self.cfg.name:
            raise Refused(404, "request_id", f"unknown request id {body.request_id[:80]!r} in experiment {self.cfg.name!r}")
        for i, event in enumerate(body.events):
            _check_event(self.cfg, served, event, f"events.{i}")
        return served


def _check_event(cfg: AbOnlineSection, served: ServedRequest, event: FeedbackEvent, where: str) -> None:
    if event.docid not in served.docids:
        raise Refused(422, f"{where}.docid", f"docid {event.docid[:80]!r} was not shown in request {served.request_id}")
    shown_at = served.docids.index(event.docid) + 1
    if event.position != shown_at:
        raise Refused(
            422, f"{where}.position", f"docid {event.docid[:80]!r} was shown at position {shown_at}, not {event.position}"
        )
    _check_time(cfg, served, event.ts, f"{where}.ts")
    if not in_window(cfg, event.ts):
        raise Refused(422, f"{where}.ts", f"ts {event.ts.isoformat()} is outside the experiment window [{cfg.start}, {cfg.end}]")


def _check_time(cfg: AbOnlineSection, served: ServedRequest, ts: datetime, where: str) -> None:
    """Not before the request was served, not after now (each give or take ``max_clock_skew_s``)."""
    try:
        at = utc(ts).timestamp()
    except (OverflowError, ValueError):
        at = float("nan")
    skew = cfg.max_clock_skew_s
    if not served.served - skew <= at <= time.time() + skew:
        raise Refused(
            422,
            where,
            f"ts {ts.isoformat()} is not between its request's serving ({datetime.fromtimestamp(served.served, UTC):%Y-%m-%dT%H:%M:%SZ}) "
            f"and now, give or take ab.online.max_clock_skew_s={skew:g}",
        )
