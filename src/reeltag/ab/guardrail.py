"""The online experiment's guardrail rollback: at each ``ab-online`` day's always-valid look, when the arm serving
the reranker's champion (an engine vs champion experiment) is worse on success with always-valid confidence
(:func:`reeltag.registry.gates.harm_gate`), the champion alias moves back to the ``rollback`` version through the
one registration policy (:func:`reeltag.registry.policy.roll_back`), recorded in the alias history with who and
the figures; the API picks the move up by its live swap. ``[ab.online] guardrail_rollback = false`` only reports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

from reeltag.ab.online_day import OnlineSummary
from reeltag.console import jsonable
from reeltag.project import Project
from reeltag.registry import history
from reeltag.registry.gates import ROLL_BACK, harm_gate
from reeltag.registry.policy import champion_version, roll_back
from reeltag.tracking.records import ChampionMoved

MODEL = "reranker"
GUARDED_ARMS = ("engine", "champion")  # (control, treatment) of the experiments the guardrail judges
NOT_APPLICABLE = "NOT APPLICABLE"


@dataclass(frozen=True, kw_only=True)
class GuardrailCheck:
    experiment: str
    day: str
    champion: str | None  # the reranker version the champion arm served (the one judged)
    verdict: str  # KEEP | ROLL BACK | NOT APPLICABLE
    reasons: tuple[str, ...]
    applied: bool = False  # a ROLL BACK was carried out (the alias moved)
    rolled_back_to: str | None = None  # the champion after the move
    refused: str | None = None  # why a ROLL BACK did not move the alias (the champion moved, nothing to go back to)

    @property
    def line(self) -> str:
        """One line for a summary: the verdict, what moved, the reasons."""
        moved = f" (reranker rolled back v{self.champion} → v{self.rolled_back_to})" if self.applied else ""
        return f"guardrail {self.verdict}{moved}: " + "; ".join(self.reasons + ((self.refused,) if self.refused else ()))


def check_guardrail(project: Project, summary: OnlineSummary, *, by: str, apply: bool = True) -> GuardrailCheck:
    """The guardrail at ``summary``'s look; with ``apply`` (and ``[ab.online] guardrail_rollback``) a ROLL BACK moves
    the alias, by ``by`` (a flow run, a command and user). Logged to the summary's run when it has one."""
    check = _judged(project, summary)
    if check.verdict == ROLL_BACK and apply and project.settings.ab.online.guardrail_rollback:
        check = _rolled_back(project, check, summary, by)
    if summary.run_id:
        _log(project, summary.run_id, check)
    return check


def _judged(project: Project, summary: OnlineSummary) -> GuardrailCheck:
    check = partial(GuardrailCheck, experiment=summary.experiment, day=summary.day, champion=champion_version(project, MODEL))
    look = summary.look
    if summary.arms != GUARDED_ARMS or look is None:
        why = "no look yet" if look is None else f"arms {summary.arms}: the guardrail judges an engine vs champion experiment"
        return check(verdict=NOT_APPLICABLE, reasons=(why,))
    decision = harm_gate(look.metric, ci_high=look.ci_high, null=look.null, p_value=look.p_value)
    where = f"{summary.experiment} look {look.look} ({look.queries} queries since {look.since[:19]})"
    return check(verdict=decision.verdict, reasons=(where, *decision.reasons))


def _rolled_back(project: Project, check: GuardrailCheck, summary: OnlineSummary, by: str) -> GuardrailCheck:
    why = history.Why(action="rollback", by=by, reason="; ".join(check.reasons), run_id=summary.run_id)
    try:
        move = roll_back(project, MODEL, champion=check.champion or "", why=why)
    except ChampionMoved as moved:
        return replace(check, refused=str(moved))
    return replace(check, applied=True, rolled_back_to=move.champion)


def _log(project: Project, run_id: str, check: GuardrailCheck) -> None:
    project.tracker.log_metrics(run_id, {"guardrail/rolled_back": float(check.applied)})
    project.tracker.set_tags(run_id, {"guardrail": check.verdict})
    project.tracker.log_dict(run_id, jsonable(check), "guardrail.json")
