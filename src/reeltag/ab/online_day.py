"""``ab-online``: one experiment day of the online search A/B from the event store → per-variant metrics,
per-user bootstrap CIs of the differences (treatment − control: champion − engine unless the experiment's variants
name the challenger, see ``reeltag.ab.serving.arms``), the interleaving win share, the SRM guardrail,
the CUPED-adjusted success delta beside the raw one (``[ab.online] cuped_pre_days``), the always-valid look over the
experiment's window (:mod:`reeltag.ab.looks`), and a ``decisions.gates`` verdict; logged as one ``reeltag/ab`` run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from reeltag.ab.cuped import Cuped, PerUser, cuped
from reeltag.ab.event_log import Log, read_log
from reeltag.ab.events import EventStore
from reeltag.ab.looks import Look, interleaving_wins, look_of_day, success_by_user
from reeltag.ab.online_stats import (
    Delta,
    SampleRatio,
    WinShare,
    deltas,
    outcomes,
    sample_ratio,
    variant_metrics,
)
from reeltag.ab.serving import arms
from reeltag.config import AbOnlineSection
from reeltag.errors import NotFound
from reeltag.project import Project
from reeltag.registry.gates import Decision, Guardrail, Threshold, ci_warnings, decide
from reeltag.tracking.results import log_result

PER_USER = ("num", "den", "pre_num", "pre_den")
ONLINE_KIND = "online"  # the reeltag.kind tag of an ab-online day's run (the report queries it on the server)


@dataclass(frozen=True, kw_only=True)
class OnlineSummary:
    experiment: str
    day: str
    method: str
    queries: int
    events: int
    simulated: bool
    variants: dict[str, dict[str, float]]
    deltas: tuple[Delta, ...]
    wins: WinShare | None
    srm: SampleRatio | None
    verdict: str
    reasons: tuple[str, ...]
    run_id: str | None = None
    arms: tuple[str, str] = ("engine", "champion")  # (control, treatment) of the deltas and the win share
    # store rows dropped that day, by reason and table: {"cap/events": n, "retention/requests": m}
    dropped: dict[str, int] = field(default_factory=dict)
    cuped: Cuped | None = None  # the success delta adjusted by the users' pre-period (split days with cuped_pre_days)
    look: Look | None = None  # the always-valid look over the experiment's window up to the end of the day


def summarise(log: Log, cfg: AbOnlineSection, seed: int = 0, pre: Log | None = None) -> dict:
    """Metrics, deltas, win share, SRM and (with the pre-period's log ``pre``) CUPED of one log (the fields of
    :class:`OnlineSummary` but the verdict)."""
    user_codes = np.unique(np.array(log.users, dtype=object), return_inverse=True)[1]
    o = outcomes(user_codes, log.counts)
    variant = np.array(log.variants, dtype=object)
    found = {
        "variants": {v: variant_metrics(o, variant, v) for v in sorted(set(log.variants))},
        "queries": len(log.users),
        "events": int(log.counts.events.sum()),
        "simulated": bool(log.simulated.any()),
        "deltas": (),
        "wins": None,
        "srm": None,
    }
    if cfg.method == "split":
        found["deltas"] = deltas(o, variant, *arms(cfg), cfg.bootstrap, seed)
        found["srm"] = sample_ratio(_users_per_variant(log, arms(cfg)), cfg.variants, cfg.srm_p)
        found["cuped"] = _cuped_success(log, pre, arms(cfg), cfg.cuped_pre_days) if pre is not None else None
    else:
        found["wins"] = interleaving_wins(log, arms(cfg))
    return found


def _users_per_variant(log: Log, names: tuple[str, str]) -> dict[str, int]:
    first = dict(zip(log.users, log.variants))
    return {v: sum(1 for x in first.values() if x == v) for v in names}


def _cuped_success(log: Log, pre: Log, names: tuple[str, str], pre_days: int) -> Cuped | None:
    """CUPED of the success delta: each arm's users of the day, with their queries in the pre-period (any
    variant); None with fewer than 2 users in an arm."""
    (num, den), (pre_num, pre_den) = success_by_user(log), success_by_user(pre)
    first = dict(zip(log.users, log.variants))
    users = [[u for u, v in first.items() if v == name] for name in names]
    if min(len(u) for u in users) < 2:
        return None
    per_user = [
        PerUser(**{k: np.array([c[u] for u in us], dtype=float) for k, c in zip(PER_USER, (num, den, pre_num, pre_den))})
        for us in users
    ]
    return cuped("success", per_user[0], per_user[1], pre_days=pre_days)


def judge(found: dict, project: Project) -> Decision:
    """GO needs a success gain whose CI is above 0 (or a win share whose CI is above ½), no SRM, real users (the
    server's ``[ab.online] simulated`` labels requests, never a client), nothing dropped at the store's cap."""
    warnings = ["simulated users (demo or test traffic)"] if found["simulated"] else []
    capped = sum(n for kind, n in found.get("dropped", {}).items() if kind.startswith("cap/"))
    warnings += [f"{capped} rows of the day not stored: the event store was at ab.online.max_store_mb"] if capped else []
    if found["wins"] is not None:
        w: WinShare = found["wins"]
        metrics, reference = {"win_share": w.share}, {"win_share": 0.5}
        warnings += ci_warnings("win_share - 0.5", w.ci_low - 0.5)
        return decide(
            metrics, reference, [Threshold(metric="win_share", min_abs_delta=0.0)], warnings=warnings, reference="a tie"
        )
    success = next(d for d in found["deltas"] if d.metric == "success")
    srm_ok = 0.0 if found["srm"].mismatch else 1.0
    warnings += ci_warnings("delta/success", success.ci_low)
    return decide(
        {"success": success.treatment, "srm_ok": srm_ok},
        {"success": success.control},
        [Threshold(metric="success", tolerance=project.settings.gates.tolerance, min_abs_delta=0.0)],
        [Guardrail("srm_ok", min_value=1.0)],
        warnings=warnings,
        reference=arms(project.settings.ab.online)[0],
    )


def run_ab_online(project: Project, day: date | None = None, seed: int = 0) -> OnlineSummary:
    """Summarise, judge and log one UTC day of the configured experiment (default: yesterday)."""
    summary, decision = summarise_day(project, day, seed)
    return _logged(project, summary, decision)


def summarise_day(project: Project, day: date | None = None, seed: int = 0) -> tuple[OnlineSummary, Decision]:
    """One UTC day (default: yesterday) of the configured experiment, summarised with its always-valid look and
    judged; not logged."""
    cfg = project.settings.ab.online
    if not cfg.name:
        raise NotFound("no online experiment configured ([ab.online] name is empty)")
    day = day or (datetime.now(UTC) - timedelta(days=1)).date()
    since = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    store = EventStore.of(project).create()
    pre = read_log(store, cfg.name, since - cfg.cuped_pre_days * 86_400, since, cfg.top) if cfg.cuped_pre_days else None
    found = summarise(read_log(store, cfg.name, since, since + 86_400, cfg.top), cfg, seed, pre) | {
        "dropped": store.dropped(day.isoformat()),
        "look": look_of_day(project, store, day),
    }
    decision = judge(found, project)
    summary = OnlineSummary(
        experiment=cfg.name,
        day=day.isoformat(),
        method=cfg.method,
        verdict=decision.verdict,
        reasons=decision.reasons,
        arms=arms(cfg),
        **found,
    )
    return summary, decision


def _metrics(s: OnlineSummary) -> dict[str, float]:
    out = {f"online/{v}/{m}": x for v, row in s.variants.items() for m, x in row.items()}
    for d in s.deltas:
        out |= {f"delta/{d.metric}": d.delta, f"delta/{d.metric}/ci_low": d.ci_low, f"delta/{d.metric}/ci_high": d.ci_high}
    if s.wins is not None:
        out |= {
            "interleave/win_share": s.wins.share,
            "interleave/ci_low": s.wins.ci_low,
            "interleave/ci_high": s.wins.ci_high,
            "interleave/wins": s.wins.wins,
            "interleave/losses": s.wins.losses,
            "interleave/ties": s.wins.ties,
        }
    if s.cuped is not None:
        c = s.cuped
        out |= {f"cuped/{c.metric}/{k}": getattr(c, k) for k in ("delta", "ci_low", "ci_high", "raw_delta", "variance_reduction")}
    if s.look is not None:
        out |= {f"always_valid/{k}": getattr(s.look, k) for k in ("look", "estimate", "p_value", "ci_low", "ci_high")}
    if s.srm is not None:
        out |= {"srm/p_value": s.srm.p_value, "srm/mismatch": float(s.srm.mismatch)}
    out |= {f"store/dropped/{kind}": n for kind, n in s.dropped.items()}
    return {k: float(v) for k, v in out.items() if np.isfinite(v)}


def _logged(project: Project, summary: OnlineSummary, decision: Decision) -> OnlineSummary:
    tags = {
        "ab_experiment": summary.experiment,
        "ab_day": summary.day,
        "ab_method": summary.method,
        "simulated": summary.simulated,
        "kind": ONLINE_KIND,
    } | decision.run_tags
    with project.tracker.run("ab", project.settings, tags=tags, name=f"ab-online-{summary.experiment}-{summary.day}") as run:
        project.tracker.log_metrics(run.run_id, _metrics(summary))
        log_result(project.tracker, run.run_id, summary)
    return OnlineSummary(**{**summary.__dict__, "run_id": run.run_id})
