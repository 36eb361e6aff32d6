"""Promotion and go/no-go gates (pure): metrics + thresholds → ``Decision(go, reasons)``.

Every model uses the same rules. A comparison is paired: challenger and champion metrics must come
from the same evaluation data. Nothing here reads files or talks to MLflow.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reeltag.slices import SliceFigure, worst_slice

GO, NO_GO, NOT_ENOUGH = "GO", "NO-GO", "NOT ENOUGH EVIDENCE"
CI_FLOOR = 1e-9  # a CI's lower end must be above 0: a CI touching 0 is no evidence of a gain
TIE_EPS = 1e-9  # gains (and shortfalls against a required gain) smaller than this are float noise: a tie


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """A rule on one metric. Unset fields are not checked."""

    metric: str
    higher_is_better: bool = True
    min_value: float | None = None
    tolerance: float | None = None  # allowed absolute loss versus the champion
    min_abs_delta: float | None = None  # required absolute gain versus the champion
    min_rel_delta: float | None = None  # required relative gain versus the champion

    @property
    def compares(self) -> bool:
        """Whether the rule looks at the champion at all (a floor alone does not)."""
        return any(v is not None for v in (self.tolerance, self.min_abs_delta, self.min_rel_delta))


@dataclass(frozen=True)
class Guardrail:
    """A limit that must hold whatever the quality metrics say (latency, coverage)."""

    metric: str
    max_value: float | None = None
    min_value: float | None = None


@dataclass(frozen=True, kw_only=True)
class SliceRule:
    """The worst-slice gate (``gates.min_slice_items``, ``gates.max_slice_loss``): see :func:`reeltag.slices.worst_slice`."""

    min_items: int
    max_loss: float


@dataclass(frozen=True)
class Decision:
    go: bool
    reasons: tuple[str, ...]
    verdict: str

    @property
    def tag(self) -> str:
        return "promote" if self.go else "reject"

    @property
    def run_tags(self) -> dict[str, str]:
        """The verdict and its reasons as run tags (``reeltag.decision``, ``reeltag.decision_reasons``, capped for MLflow)."""
        return {"decision": self.verdict, "decision_reasons": " | ".join(self.reasons)[:5000]}


def decide(
    challenger: Mapping[str, float],
    champion: Mapping[str, float] | None,
    thresholds: Iterable[Threshold],
    guardrails: Iterable[Guardrail] = (),
    warnings: Iterable[str] = (),
    reference: str = "champion",
    slices: Sequence[SliceFigure] = (),
    slice_rule: SliceRule | None = None,
) -> Decision:
    """GO only when every threshold and guardrail holds, no slice loses (``slice_rule`` over ``slices``: the
    challenger's per-slice figures against ``reference``) and nothing weakens the evidence.

    ``warnings`` (random encoder, demo data, tiny data…) turn a would-be GO into NOT ENOUGH EVIDENCE.
    ``reference`` names what ``champion`` metrics are (the champion, or a baseline) in the reasons.
    """
    failures: list[str] = []
    passes: list[str] = []
    for rule in thresholds:
        _sort(_check_threshold(rule, challenger, champion, reference), failures, passes)
    for rail in guardrails:
        _sort(_check_guardrail(rail, challenger), failures, passes)
    if slice_rule is not None and any(f.delta is not None for f in slices):
        _sort(check_slices(slice_rule, slices, reference), failures, passes)
    warned = [f"warning: {w}" for w in warnings]
    if failures:
        return Decision(False, tuple(failures + warned + passes), NO_GO)
    if warned:
        return Decision(False, tuple(warned + passes), NOT_ENOUGH)
    return Decision(True, tuple(passes) or ("no rule configured",), GO)


def _sort(result: tuple[bool, str], failures: list[str], passes: list[str]) -> None:
    ok, reason = result
    (passes if ok else failures).append(reason)


def _value(metrics: Mapping[str, float] | None, name: str) -> float | None:
    if metrics is None or name not in metrics or metrics[name] is None:
        return None
    value = float(metrics[name])
    return value if math.isfinite(value) else None


def _check_threshold(
    rule: Threshold, challenger: Mapping[str, float], champion: Mapping[str, float] | None, reference: str
) -> tuple[bool, str]:
    new = _value(challenger, rule.metric)
    if new is None:
        return False, f"{rule.metric}: missing for the challenger"
    sign = 1.0 if rule.higher_is_better else -1.0
    if rule.min_value is not None and sign * (new - rule.min_value) < 0:
        return False, f"{rule.metric}={new:.4g} misses the floor {rule.min_value:.4g}"
    if rule.min_value is not None and not rule.compares:
        return True, f"{rule.metric}={new:.4g} meets the floor {rule.min_value:.4g}"
    old = _value(champion, rule.metric)
    if old is None:
        return True, f"{rule.metric}={new:.4g} (no {reference} to compare)"
    return _check_delta(rule, new, old, sign, reference)


def _check_delta(rule: Threshold, new: float, old: float, sign: float, reference: str) -> tuple[bool, str]:
    gain = sign * (new - old)
    gain = 0.0 if abs(gain) < TIE_EPS else gain  # a tie is a tie whichever way float error falls
    text = f"{rule.metric}: {new:.4g} vs {reference} {old:.4g} (gain {gain:+.4g})"
    if rule.tolerance is not None and gain < -rule.tolerance - TIE_EPS:
        return False, f"{text} is worse than the tolerance {rule.tolerance:.4g}"
    if rule.min_abs_delta is not None and gain < rule.min_abs_delta - TIE_EPS:
        return False, f"{text} is below the required gain {rule.min_abs_delta:.4g}"
    if rule.min_rel_delta is not None and gain < rule.min_rel_delta * abs(old) - TIE_EPS:
        return False, f"{text} is below the required relative gain {rule.min_rel_delta:.2%}"
    return True, text


def _check_guardrail(rail: Guardrail, metrics: Mapping[str, float]) -> tuple[bool, str]:
    value = _value(metrics, rail.metric)
    if value is None:
        return False, f"guardrail {rail.metric}: not measured"
    if rail.max_value is not None and value > rail.max_value:
        return False, f"guardrail {rail.metric}={value:.4g} exceeds {rail.max_value:.4g}"
    if rail.min_value is not None and value < rail.min_value:
        return False, f"guardrail {rail.metric}={value:.4g} is below {rail.min_value:.4g}"
    return True, f"guardrail {rail.metric}={value:.4g} holds"


def check_slices(rule: SliceRule, figures: Sequence[SliceFigure], reference: str = "champion") -> tuple[bool, str]:
    """(holds, reason): the worst losing slice named, or how many bands were checked."""
    worst = worst_slice(figures, min_items=rule.min_items, max_loss=rule.max_loss)
    if worst is None:
        gated = sum(1 for f in figures if f.items >= rule.min_items and f.delta is not None)
        return True, f"worst slice: none of {gated} bands with ≥ {rule.min_items} items loses more than {rule.max_loss:.4g}"
    return False, (
        f"worst slice {worst.slice}={worst.band} ({worst.items} items): {worst.metric} {worst.challenger:.4g} vs "
        f"{reference} {worst.reference:.4g} (delta {worst.delta:+.4g}, 95% CI [{worst.ci_low:+.4g}, {worst.ci_high:+.4g}]) "
        f"loses more than gates.max_slice_loss={rule.max_loss:.4g}"
    )


def ci_warnings(metric: str, ci_low: float | None, confidence: float = 0.95) -> list[str]:
    """A warning when the CI of a gain reaches 0 (or is missing): absence of evidence, not evidence against.

    Passed to :func:`decide` as a warning, it turns a would-be GO into NOT ENOUGH EVIDENCE (never promoted),
    while a loss beyond the tolerance stays a NO-GO through the thresholds.
    """
    level = f"{confidence:.0%}"
    if ci_low is None or not math.isfinite(float(ci_low)):
        return [f"the {level} CI of the {metric} gain was not measured"]
    if float(ci_low) < CI_FLOOR:
        return [f"the {level} CI of the {metric} gain is not above 0 (low {float(ci_low):+.4g})"]
    return []


def comparison_metrics(challenger: Mapping[str, float], champion: Mapping[str, float] | None) -> dict[str, float]:
    """``challenger/<m>``, ``champion/<m>`` and ``delta/<m>`` for the challenger's run."""
    out = {f"challenger/{k}": float(v) for k, v in challenger.items()}
    for key, value in (champion or {}).items():
        out[f"champion/{key}"] = float(value)
        if key in challenger:
            out[f"delta/{key}"] = float(challenger[key]) - float(value)
    return out


KEEP, ROLL_BACK = "KEEP", "ROLL BACK"


def harm_gate(metric: str, *, ci_high: float, null: float, p_value: float) -> Decision:
    """The online guardrail on the arm serving the champion (pure): it is worse than the control with always-valid
    confidence when the whole confidence sequence of (champion − control) lies below ``null`` (0, or ½ for a win
    share). ``go`` = keep serving it; else ROLL BACK with the figures as the reason."""
    figures = f"{metric}: confidence sequence upper end {ci_high:+.4f}, always-valid p {p_value:.3g}"
    if ci_high < null:
        return Decision(False, (f"{figures}: the champion arm is worse (below {null:g})",), ROLL_BACK)
    return Decision(True, (f"{figures}: no harm shown (not below {null:g})",), KEEP)
