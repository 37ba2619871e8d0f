"""beian review: the analysts' triage of findings (the moves: audit/findings/review.py)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.dates import DAY
from audit.cli.output import echo, print_json
from audit.errors import UserError
from audit.findings.listing import FindingFilter
from audit.findings.states import LABELS, STATES, allowed_moves, move_conditions

if TYPE_CHECKING:
    from audit.findings.review import Reviewed
    from audit.store import Session


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
@click.option("--site", "site_text",
              help="Instead of IDs: the open findings of the sites whose host, name or sponsor "
              "contains this text (as beian findings --site).")  # fmt: skip
@click.option("--rule", "rules", multiple=True, help="Instead of IDs: only this rule (repeatable).")
@click.option("--district", help="Instead of IDs: only sites of this district.")
@click.option("--category", help="Instead of IDs: only sites of this category.")
@click.option(
    "--from", "from_states", multiple=True, type=click.Choice(STATES), metavar="STATE",
    help="Instead of IDs: only findings now in this review state (repeatable).",
)  # fmt: skip
@click.option("--overdue", is_flag=True, help="Instead of IDs: only overdue findings.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before moving what the filters select.")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
@pass_app
def review(app: AppContext, finding_ids: tuple[int, ...], to_state: str, note: str | None,
           deadline: dt.date | None, until: dt.date | None, actor: str | None,
           site_text: str | None, rules: tuple[str, ...], district: str | None,
           category: str | None, from_states: tuple[str, ...], overdue: bool, yes: bool,
           as_json: bool) -> None:  # fmt: skip
    """Triage findings: `beian review ID [ID...] --state STATE`, or the open findings the
    filters select: `beian review --site 盐湖区 --rule BA101 --state notified --deadline +15d`
    (the filters of beian findings; it says how many findings of how many sites it will
    move and asks first, unless --yes or the filter is one site's exact host).

    Several IDs move together or not at all: one refused move refuses them all, and says
    why. Findings the filters select that cannot make the move are left alone, each with
    the reason. Every change is kept in the finding's history (beian findings show ID) with
    who, when, the note and the deadline. A false positive stays suppressed for its site
    until the evidence changes; an accepted risk comes back when --until has passed; a
    notified finding is resolved by the first crawl that no longer sees it.
    """
    from audit.findings.review import review_finding

    wanted = FindingFilter(
        rules=rules, review_states=from_states, overdue=overdue, district=district,
        category=category, site=site_text,
    )  # fmt: skip
    filtered = wanted != FindingFilter()
    if bool(finding_ids) == filtered:
        raise UserError("give either finding IDs or filters (--site, --rule, --district ...)")
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
            done, left = _review_selected(session, wanted, to_state, options, ask=not yes)
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


def _review_selected(
    session: Session, wanted: FindingFilter, to_state: str, options: _Options, *, ask: bool
) -> tuple[list[Reviewed], list[str]]:
    """Move the open findings the filters select, after saying how many and asking (not
    for one site named by its exact host, as `review --site HOST` always did)."""
    from audit.findings.listing import find
    from audit.findings.review import review_findings, review_site, today
    from audit.store.sites import site_by_host

    only_site = wanted == FindingFilter(site=wanted.site)
    if only_site and wanted.site and site_by_host(session, wanted.site) is not None:
        return review_site(session, wanted.site, to_state, **options)
    found = find(session, wanted, on=today())  # (open findings: the filter's default)
    if not found:
        raise UserError("no open finding matches these filters (beian findings shows them)")
    sites = len({site.id for _, site in found})
    question = f"{to_state}: {len(found)} open findings of {sites} sites. Go on?"
    if ask and not click.confirm(question, err=True):
        raise UserError("nothing was changed")
    return review_findings(
        session, found, to_state, **options,
        nothing=f"none of the {len(found)} findings can become {to_state}",
    )  # fmt: skip
