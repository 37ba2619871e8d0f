"""beian review: the analysts' triage of findings (the moves: audit/findings/review.py)."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.dates import DAY
from audit.cli.output import echo, print_json
from audit.errors import UserError
from audit.findings.states import LABELS, STATES, allowed_moves, move_conditions


class _Options(TypedDict):
    """What review_finding and review_site take besides the finding(s) and the state."""

    note: str | None
    deadline: dt.date | None
    until: dt.date | None
    actor: str | None


def _states_help() -> str:
    """The states, the moves and their conditions, from the table (audit/findings/states.py)."""
    lines = [f"  {state:<16}{LABELS[state]}" for state in STATES]
    moves = [f"  {state:<16}→ {', '.join(allowed_moves(state))}" for state in STATES]
    conditions = [f"  {condition}" for condition in move_conditions()]
    return "\n".join(
        ["\b", "States:", *lines, "", "\b", "Allowed moves:", *moves, "", "\b", *conditions]
    )


@click.command(
    "review",
    epilog=_states_help(),
)
@click.argument("finding_ids", metavar="[ID]...", type=int, nargs=-1)
@click.option("--site", "host", help="Every open finding of this host (exact) instead of IDs.")
@click.option("--state", "to_state", type=click.Choice(STATES), required=True, metavar="STATE",
              help="The new review state (below).")  # fmt: skip
@click.option("--note", help="Why, what was said, the document number ...")
@click.option(
    "--deadline",
    type=DAY,
    help="Rectification deadline (notified requires it): 2026-12-20, 2026/12/20, "
    "2026年12月20日 or +15d (days from today).",
)
@click.option(
    "--until", type=DAY, help="End of the acceptance (accepted_risk requires it), as --deadline."
)
@click.option("--by", "actor", help="Who decides (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
@pass_app
def review(app: AppContext, finding_ids: tuple[int, ...], host: str | None, to_state: str,
           note: str | None, deadline: dt.date | None, until: dt.date | None,
           actor: str | None, as_json: bool) -> None:  # fmt: skip
    """Triage findings: `beian review ID [ID...] --state STATE`, or every open finding of
    a site: `beian review --site HOST --state STATE`. Several IDs move together or not at
    all: one refused move refuses them all, and says why.

    Every change is kept in the finding's history (beian findings show ID) with who,
    when, the note and the deadline. A false positive stays suppressed for its site
    until the evidence changes; an accepted risk comes back when --until has passed; a
    notified finding is resolved by the first crawl that no longer sees it.
    """
    from audit.findings.review import review_finding, review_site

    if bool(finding_ids) == (host is not None):
        raise UserError("give either finding IDs or --site HOST")
    if actor and len(actor.strip()) > 100:
        raise UserError("--by: at most 100 characters")
    options: _Options = {
        "note": note,
        "deadline": deadline,
        "until": until,
        "actor": actor.strip() if actor and actor.strip() else None,
    }
    left: list[str] = []
    with app.store().session() as session:
        if finding_ids:
            done = [review_finding(session, i, to_state, **options) for i in finding_ids]
        else:
            assert host is not None
            done, left = review_site(session, host, to_state, **options)
    if as_json:
        rows = [
            {"id": r.finding_id, "site": r.host, "rule": r.rule, "from": r.from_state,
             "to": r.to_state, "deadline": r.deadline}
            for r in done
        ]  # fmt: skip
        data = {"changed": rows, "left_alone": left}
        print_json(data)
        return
    for r in done:
        due = f" (deadline {r.deadline.isoformat()})" if r.deadline else ""
        echo(f"finding {r.finding_id} {r.rule} {r.host}: {r.from_state} → {r.to_state}{due}")
    for reason in left:
        echo(f"left alone: {reason}")
