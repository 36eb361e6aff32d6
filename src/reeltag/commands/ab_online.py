"""``reeltag ab-online guardrail``: the online experiment's champion guardrail at a day's always-valid look (shown;
``--roll-back`` carries a breach out through the registry's policy, recorded in the alias history)."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Annotated

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.console import emit

ab_online_app = typer.Typer(help="The online search experiment: its champion guardrail.", no_args_is_help=True)


@ab_online_app.command("guardrail")
@handles_errors
def guardrail(
    day: Annotated[datetime | None, typer.Option("--day", formats=["%Y-%m-%d"], help="UTC day (default: yesterday).")] = None,
    roll_back: Annotated[bool, typer.Option("--roll-back", help="Carry out a ROLL BACK verdict (recorded).")] = False,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The champion arm judged at DAY's always-valid look over the experiment's window: KEEP, ROLL BACK or NOT
    APPLICABLE, with the figures; nothing is logged, and the alias moves only with --roll-back."""
    from reeltag.ab.guardrail import check_guardrail
    from reeltag.ab.online_day import summarise_day

    project = open_project(root, config)
    summary, _ = summarise_day(project, day.date() if day else None)
    check = check_guardrail(project, summary, by=f"reeltag ab-online guardrail ({getpass.getuser()})", apply=roll_back)
    emit({"look": summary.look, **check.__dict__}, as_json, title="ab-online guardrail")


def register(app: typer.Typer) -> None:
    app.add_typer(ab_online_app, name="ab-online")
