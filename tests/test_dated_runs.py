"""Runs entered out of order (issue 10, item 3): `beian crawl --dated` records a run as
started on an earlier day, so a run entered later can be dated before runs already
stored, and has a higher id. The bulletin and the sites' history go by the runs' dates.

Each crawl here is a finished run written as `beian crawl --dated` writes it (its start
is the date given) and audited by the real audit (:class:`tests.support.bulletin_world.World`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from audit.bulletin.compile import compile_figures
from audit.bulletin.figures import Figures
from audit.bulletin.period import parse_month
from audit.findings.audit import run_audit
from audit.store import Finding, FindingEvent, Site, Store
from audit.store.findings import latest_finished_run, recent_outcomes
from audit.store.sites import list_sites
from tests.support.bulletin_world import PROFILE, World, beijing, footer

FILED, UNFILED = footer(1), footer(2, icp=False)
AFTER = beijing(2027, 1, 5)  # every month below is over


def jurisdiction(store: Store) -> World:
    world = World(store)
    world.site("www.a.cn", "盐湖区")
    world.site("www.b.cn", "夏县")
    return world


def figures(store: Store, month: str) -> Figures:
    with store.session() as session:
        return compile_figures(session, PROFILE, parse_month(month), now=AFTER)


def findings_of(store: Store, host: str) -> dict[str, Finding]:
    with store.session() as session:
        rows = session.scalars(
            select(Finding).join(Site, Site.id == Finding.site_id).where(Site.host == host)
        ).all()
        session.expunge_all()
        return {f.rule: f for f in rows}


def test_a_month_entered_after_a_later_one_counts_its_sites(store: Store) -> None:
    world = jurisdiction(store)
    november = world.crawl(beijing(2026, 11, 10, 2), {"www.a.cn": FILED, "www.b.cn": UNFILED})
    october = world.crawl(beijing(2026, 10, 10, 2), {"www.a.cn": FILED, "www.b.cn": UNFILED})
    assert october > november  # entered later: a higher id, an earlier date

    o = figures(store, "2026-10").overview
    assert o.runs == 1
    assert o.monitored.current == 2  # was 0: the sites were "known" from run 1, in November
    assert (o.crawled.current, o.reachable.current) == (2, 2)
    assert (o.icp.part, o.icp.whole) == (1, 2)
    assert figures(store, "2026-10").unfiled.sites.current == 1

    n = figures(store, "2026-11")
    assert n.overview.monitored.current == n.overview.monitored.previous == 2
    assert n.overview.new_sites == 0  # known since October
    assert n.unfiled.sites.current == n.unfiled.sites.previous == 1
    assert n.unfiled.new == 0 and n.unfiled.carried == 1


def test_the_problem_an_earlier_run_shows_too_is_open_from_that_run(store: Store) -> None:
    world = jurisdiction(store)
    november = world.crawl(beijing(2026, 11, 10, 2), {"www.b.cn": UNFILED})
    october = world.crawl(beijing(2026, 10, 10, 2), {"www.b.cn": UNFILED})

    finding = findings_of(store, "www.b.cn")["BA101"]
    assert (finding.state, finding.first_seen_run_id, finding.last_seen_run_id) == (
        "open", october, november)  # fmt: skip
    with store.session() as session:
        events = session.execute(
            select(FindingEvent.kind, FindingEvent.run_id)
            .where(FindingEvent.finding_id == finding.id)
            .order_by(FindingEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [("opened", october)]  # opened once, in October


def test_an_earlier_run_entered_late_does_not_undo_what_a_later_one_decided(
    store: Store,
) -> None:
    world = jurisdiction(store)
    world.crawl(beijing(2026, 10, 10, 2), {"www.b.cn": UNFILED})
    november = world.crawl(beijing(2026, 11, 10, 2), {"www.b.cn": FILED})  # fixed
    world.crawl(beijing(2026, 10, 20, 2), {"www.b.cn": UNFILED})  # a crawl of October, late

    finding = findings_of(store, "www.b.cn")["BA101"]
    assert (finding.state, finding.resolved_run_id) == ("resolved", november)
    assert figures(store, "2026-10").unfiled.sites.current == 1
    assert figures(store, "2026-11").unfiled.sites.current == 0


def test_a_problem_only_a_late_entered_run_shows_is_resolved_by_the_runs_after_it(
    store: Store,
) -> None:
    world = jurisdiction(store)
    november = world.crawl(beijing(2026, 11, 10, 2), {"www.b.cn": FILED})
    world.crawl(beijing(2026, 10, 10, 2), {"www.b.cn": UNFILED})  # entered later

    finding = findings_of(store, "www.b.cn")["BA101"]
    assert (finding.state, finding.resolved_run_id) == ("resolved", november)
    assert figures(store, "2026-10").unfiled.sites.current == 1
    assert figures(store, "2026-11").unfiled.sites.current == 0


def test_the_last_snapshot_of_a_month_is_the_last_by_date(store: Store) -> None:
    world = jurisdiction(store)
    world.crawl(beijing(2026, 10, 20, 2), {"www.a.cn": UNFILED})
    world.crawl(beijing(2026, 10, 5, 2), {"www.a.cn": FILED})  # earlier in the month
    o = figures(store, "2026-10").overview
    assert (o.icp.part, o.icp.whole) == (0, 1)  # what the site showed on the 20th


def test_unreachable_means_failed_in_the_latest_runs_by_date(store: Store) -> None:
    world = jurisdiction(store)
    world.crawl(beijing(2026, 11, 10, 2), {"www.a.cn": "timeout"})
    world.crawl(beijing(2026, 10, 10, 2), {"www.a.cn": FILED})  # entered late: not the latest
    world.crawl(beijing(2026, 11, 20, 2), {"www.a.cn": "not_crawled"})  # the crawler's failure
    december = world.crawl(beijing(2026, 12, 10, 2), {"www.a.cn": "refused"})

    with store.session() as session:
        site_id = session.scalars(select(Site.id).where(Site.host == "www.a.cn")).one()
        # newest first, by date; the run that did not look at the site left out
        assert recent_outcomes(session, december, 3)[site_id] == ("refused", "timeout", "ok")
    ba301 = findings_of(store, "www.a.cn")["BA301"]
    assert (ba301.state, ba301.first_seen_run_id) == ("open", december)


def test_the_latest_run_is_the_latest_by_date(store: Store) -> None:
    world = jurisdiction(store)
    november = world.crawl(beijing(2026, 11, 10, 2), {"www.a.cn": FILED})
    world.crawl(beijing(2026, 10, 10, 2), {"www.a.cn": FILED})
    with store.session() as session:
        latest = latest_finished_run(session)
        assert latest is not None and latest.id == november
    assert run_audit(store, PROFILE).run_id == november  # `beian audit` without --run


def test_sites_are_found_by_the_number_their_latest_snapshot_by_date_shows(
    store: Store,
) -> None:
    world = jurisdiction(store)
    world.crawl(beijing(2026, 11, 10, 2), {"www.a.cn": footer(7)})
    world.crawl(beijing(2026, 10, 10, 2), {"www.a.cn": footer(6)})  # entered late
    with store.session() as session:
        assert [s.host for s in list_sites(session, number="晋ICP备2021001207号-1")] == ["www.a.cn"]
        assert list_sites(session, number="晋ICP备2021001206号-1") == []


def test_a_dated_run_dates_what_it_causes_and_no_event_comes_before_its_run(
    store: Store,
) -> None:
    world = jurisdiction(store)
    october = beijing(2026, 10, 10, 2)
    world.crawl(october, {"www.b.cn": UNFILED})
    november = beijing(2026, 11, 10, 2)
    world.crawl(november, {"www.b.cn": FILED})  # fixed: the finding resolves in November

    finding = findings_of(store, "www.b.cn")["BA101"]
    assert (finding.first_seen_at, finding.last_seen_at) == (october, october)
    assert finding.resolved_at == november
    with store.session() as session:
        events = session.execute(
            select(FindingEvent.kind, FindingEvent.at)
            .where(FindingEvent.finding_id == finding.id)
            .order_by(FindingEvent.id)
        ).all()
    assert [(kind, at) for kind, at in events] == [("opened", october), ("resolved", november)]
    # findings --since goes by those dates: seen in October, resolved by November's run,
    # nothing since then
    with store.session() as session:
        from audit.store.findings import list_findings

        assert list_findings(session, state="open", since=november) == []
        since_november = list_findings(session, state="all", since=november)
        assert [f.id for f, _ in since_november] == [finding.id]
        assert list_findings(session, state="all", since=november + dt.timedelta(days=1)) == []
        assert len(list_findings(session, state="all", since=october)) >= 1
