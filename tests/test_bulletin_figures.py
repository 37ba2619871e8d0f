"""The bulletin's figures for a crafted jurisdiction agree with values worked out by hand.

The story, in Beijing time (the centre's calendar):

    site    district  October (run 1, 10-15)  November: run 2 (11-01 00:10), run 3 (11-30 23:50)
    a (key) 盐湖区    no ICP number     no ICP; notified 11-03 (deadline 11-20); fixed in run 3
    b       临猗县    compliant         no police number; notified 11-10 (deadline 11-25): overdue
    c       盐湖区    neither number    neither; notified 11-05 (deadline 12-03), inspected 11-20
    d       万荣县    (not yet known)   first crawled in run 3: no ICP number
    e       临猗县    no police number  no police number; taken out of the inventory 11-20
    f       芮城县    compliant         timeout, then refused: unreachable twice (BA301)

Run 2 starts on 1 November in Beijing but on 31 October in UTC; run 4 (12-01 00:05 in
Beijing, still 30 November in UTC) and a review on 1 December belong to December.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from audit.bulletin.compile import compile_figures
from audit.bulletin.document import build_document
from audit.bulletin.figures import Changes, Count, Figures
from audit.bulletin.period import month_period, parse_month
from audit.bulletin.render_markdown import to_markdown
from audit.config import BulletinSettings
from audit.errors import UserError
from audit.store import Store
from tests.support.bulletin_world import PROFILE, World, beijing, footer

COMPILED_ON = beijing(2026, 12, 2, 9)
NOVEMBER = month_period(2026, 11)


def november_story(store: Store) -> World:
    world = World(store)
    world.site("www.a.cn", "盐湖区", key_unit=True)
    world.site("www.b.cn", "临猗县")
    world.site("www.c.cn", "盐湖区", category="学校")
    world.site("www.e.cn", "临猗县")
    world.site("www.f.cn", "芮城县")
    ok = {n: footer(i) for i, n in enumerate("abcdef")}
    no_icp = {n: footer(i, icp=False) for i, n in enumerate("abcdef")}
    no_police = {n: footer(i, police=False) for i, n in enumerate("abcdef")}
    neither = "<footer>版权所有</footer>"

    world.crawl(beijing(2026, 10, 15, 10), {
        "www.a.cn": no_icp["a"], "www.b.cn": ok["b"], "www.c.cn": neither,
        "www.e.cn": no_police["e"], "www.f.cn": ok["f"],
    })  # fmt: skip
    world.crawl(beijing(2026, 11, 1, 0, 10), {
        "www.a.cn": no_icp["a"], "www.b.cn": no_police["b"], "www.c.cn": neither,
        "www.e.cn": no_police["e"], "www.f.cn": "timeout",
    })  # fmt: skip
    world.review(beijing(2026, 11, 3, 10), "www.a.cn", "confirmed")
    world.review(beijing(2026, 11, 3, 11), "www.a.cn", "notified", dt.date(2026, 11, 20))
    world.review(beijing(2026, 11, 5, 10), "www.c.cn", "confirmed")
    world.review(beijing(2026, 11, 5, 11), "www.c.cn", "notified", dt.date(2026, 12, 3))
    world.review(beijing(2026, 11, 10, 10), "www.b.cn", "confirmed")
    world.review(beijing(2026, 11, 10, 11), "www.b.cn", "notified", dt.date(2026, 11, 25))
    world.review(beijing(2026, 11, 20, 15), "www.c.cn", "inspected")
    world.retire(beijing(2026, 11, 20, 16), "www.e.cn")
    world.site("www.d.cn", "万荣县")
    world.crawl(beijing(2026, 11, 30, 23, 50), {
        "www.a.cn": ok["a"], "www.b.cn": no_police["b"], "www.c.cn": neither,
        "www.d.cn": no_icp["d"], "www.f.cn": "refused",
    })  # fmt: skip
    return world


def december_happens(world: World) -> None:
    """What comes after November's end: it must not change November's figures."""
    world.crawl(beijing(2026, 12, 1, 0, 5), {
        "www.a.cn": footer(0, icp=False), "www.b.cn": footer(1),
        "www.c.cn": footer(2), "www.d.cn": footer(3, icp=False), "www.f.cn": footer(5),
    })  # fmt: skip
    world.review(beijing(2026, 12, 1, 9), "www.d.cn", "confirmed")
    world.site("www.g.cn", "夏县")


def compile_november(store: Store) -> Figures:
    with store.session() as session:
        return compile_figures(session, PROFILE, NOVEMBER, now=COMPILED_ON)


def test_the_overview_counts_sites_and_display_rates_at_the_month_end(store: Store) -> None:
    november_story(store)
    o = compile_november(store).overview

    assert o.runs == 2  # run 2 is November's in Beijing although October's in UTC
    assert o.monitored == Count(5, 5)  # d came, e went
    assert o.crawled == Count(6, 5)  # e was crawled in November before it was taken out
    assert o.reachable == Count(5, 5)  # f's last November visit was refused
    # reachable in November: a (both), b (ICP only), c (none), d (police only), e (ICP only)
    assert (o.icp.part, o.icp.whole, o.icp.previous_part, o.icp.previous_whole) == (3, 5, 3, 5)
    assert (o.police.part, o.police.previous_part) == (2, 3)
    assert (o.both.part, o.both.previous_part) == (1, 2)
    assert o.icp.current == pytest.approx(0.6) and o.both.delta_points == pytest.approx(-20)
    assert (o.new_sites, o.new_discovered, o.retired_sites) == (1, 0, 1)
    # a, b and f changed; c stayed as it was; d is new; e is gone
    assert o.sites == Changes(new=1, gone=1, changed=3, same=1)


def test_unfiled_sites_by_district_with_the_change_from_last_month(store: Store) -> None:
    november_story(store)
    u = compile_november(store).unfiled

    assert u.sites == Count(3, 3)  # b, c, d now; a, c, e at the end of October
    assert (u.new, u.carried, u.fixed) == (2, 1, 2)
    assert u.missing_icp == Count(2, 2) and u.missing_police == Count(2, 2)
    districts = [(g.name, g.unfiled, g.new, g.previous, g.key_units) for g in u.by_district]
    assert districts == [("盐湖区", 1, 0, 2, 0), ("临猗县", 1, 1, 1, 0), ("万荣县", 1, 1, 0, 0)]
    categories = {g.name: g.unfiled for g in u.by_category}
    assert categories == {"企业": 2, "学校": 1}
    # per finding: b's BA111 and d's BA101 are new; a's BA101 and e's BA111 are gone;
    # c's two findings were reviewed in November: changed
    assert u.findings == Changes(new=2, gone=2, changed=2, same=0)


def test_a_site_the_crawl_could_not_read_is_unverified_not_unfiled(store: Store) -> None:
    """Two sites show no number in their served HTML; one leaves its footer to a script the
    crawl could not run: BA100, counted apart, never among the unfiled."""
    world = World(store)
    for host in ("a.cn", "b.cn"):
        world.site(host, "盐湖区")
    world.crawl(beijing(2026, 11, 10), {"a.cn": "<footer>版权所有</footer>",
                                         "b.cn": "<footer>版权所有</footer>"},
                partial={"b.cn"})  # fmt: skip
    figures = compile_november(store)
    assert figures.unfiled.sites.current == 1  # a.cn only
    assert figures.unfiled.unverified == 1
    document = build_document(
        figures, PROFILE, BulletinSettings(), issue="1", date=dt.date(2026, 12, 1), charts={}
    )
    text = to_markdown(document, Path("."))
    assert "另有1家网站首页的备案信息由脚本或框架生成，本月巡检未能核验（未计入未备案网站）" in text


def test_rectification_counts_sites_notified_inspected_fixed_and_overdue(store: Store) -> None:
    november_story(store)
    figures = compile_november(store)
    r = figures.rectification

    assert r.notified == Count(3, 0) and r.inspected == Count(1, 0)
    assert r.fixed == Count(1, 0)  # a: notified, then the re-test of run 3 no longer saw it
    assert r.overdue == Count(1, 0)  # b: deadline 11-25 passed, still open
    assert r.in_progress == 2  # b notified, c inspected
    from audit.bulletin.document import rectification_sentence

    assert rectification_sentence(figures) == (
        "本月共监测网站5个，发现未备案网站3家（其中新增2家），已督促整改3家，完成整改1家"
    )
    assert [(row.host, row.rule, row.resolved) for row in figures.rectified] == [
        ("www.a.cn", "BA101", dt.date(2026, 11, 30))
    ]
    assert [(row.host, row.rule, row.deadline) for row in figures.overdue] == [
        ("www.b.cn", "BA111", dt.date(2026, 11, 25))
    ]


def test_threats_warnings_and_lists(store: Store) -> None:
    november_story(store)
    figures = compile_november(store)

    [threat] = figures.threats
    assert (threat.rule, threat.new, threat.open, threat.sites) == ("BA301", 1, Count(1, 0), 1)
    warnings = [(w.kind, w.host, w.detail) for w in figures.warnings]
    assert warnings == [
        ("deadline", "www.c.cn", "2项问题的整改期限为12月3日"),
        ("repeated_failure", "www.f.cn", "本月2次监测中2次无法访问，月末仍无法访问"),
    ]
    # key units first, then the profile's district order
    assert [row.host for row in figures.unfiled_sites] == ["www.c.cn", "www.b.cn", "www.d.cn"]
    assert [row.new for row in figures.unfiled_sites] == [False, True, True]
    assert figures.unfiled_sites[0].review_state == "inspected"
    assert sorted((row.host, row.rule) for row in figures.open_findings) == [
        ("www.b.cn", "BA111"), ("www.c.cn", "BA101"), ("www.c.cn", "BA111"),
        ("www.d.cn", "BA101"), ("www.f.cn", "BA301"),
    ]  # fmt: skip
    assert dict(figures.findings_by_district) == {
        "盐湖区": 2,
        "临猗县": 1,
        "万荣县": 1,
        "芮城县": 1,
    }


def test_the_trend_starts_with_the_first_monitored_month(store: Store) -> None:
    november_story(store)
    trend = compile_november(store).trend

    # September and before had no crawl: not drawn as zeros
    assert [p.month for p in trend] == ["2026-10", "2026-11"]
    october, november = trend
    assert (october.reachable, october.open_findings, october.unfiled_sites) == (5, 4, 3)
    assert (november.reachable, november.open_findings, november.unfiled_sites) == (5, 5, 3)
    assert november.police_rate == pytest.approx(0.4)


def test_later_crawls_and_reviews_leave_the_month_unchanged(store: Store) -> None:
    world = november_story(store)
    before = compile_november(store).to_json()
    december_happens(world)
    after = compile_november(store).to_json()
    assert after == before


def test_a_month_in_progress_is_compiled_as_of_now(store: Store) -> None:
    november_story(store)
    with store.session() as session:
        figures = compile_figures(
            session, PROFILE, NOVEMBER, now=beijing(2026, 11, 15), settings=BulletinSettings()
        )
    assert not figures.complete and figures.overview.runs == 1  # run 3 has not happened yet
    assert figures.unfiled.sites.current == 4  # a, b, c, e


def test_months_are_given_as_year_and_month() -> None:
    period = parse_month("2026-11")
    assert period.start == dt.datetime(2026, 10, 31, 16, tzinfo=dt.UTC)
    assert period.end == dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)
    assert parse_month("2026-12").end == dt.datetime(2026, 12, 31, 16, tzinfo=dt.UTC)
    for wrong in ("2026-13", "11-2026", "2026/11", ""):
        with pytest.raises(UserError, match="YYYY-MM"):
            parse_month(wrong)


def bulletin_text(figures: Figures) -> str:
    document = build_document(
        figures, PROFILE, BulletinSettings(), issue="1", date=dt.date(2027, 1, 2), charts={}
    )
    return to_markdown(document, Path("."))


def test_a_month_is_compared_with_the_last_month_that_was_monitored(store: Store) -> None:
    world = World(store)
    for host in ("a.cn", "b.cn"):
        world.site(host, "盐湖区")
    world.crawl(beijing(2026, 9, 10), {"a.cn": footer(0), "b.cn": footer(1)})
    # nobody monitored October or November
    world.crawl(beijing(2026, 12, 10), {"a.cn": footer(0, icp=False), "b.cn": footer(1)})
    with store.session() as session:
        september = compile_figures(session, PROFILE, month_period(2026, 9), now=COMPILED_ON)
        december = compile_figures(
            session, PROFILE, month_period(2026, 12), now=beijing(2027, 1, 2)
        )

    assert (december.previous.month, december.compared) == ("2026-09", True)
    assert december.unfiled.sites == Count(1, 0)
    text = bulletin_text(december)
    assert "较9月增加1家" in text and "较上月" not in text
    assert "9月遗留尚未整改0家" in text
    assert [p.month for p in december.trend] == ["2026-09", "2026-12"]  # no zeros between

    # the first month monitored has nothing to compare with, and says so
    assert not september.compared
    first = bulletin_text(september)
    assert "本月共监测网站2个，为首次监测" in first
    assert "| 监测网站（个） | 2 | — | — |" in first
    assert "与上月相比" not in first and "上月遗留" not in first


def test_the_text_speaks_plainly_and_never_contradicts_itself(store: Store) -> None:
    world = World(store)
    world.site("a.cn", "盐湖区")
    world.site("f.cn", "芮城县")
    world.crawl(beijing(2026, 10, 31, 12), {"a.cn": footer(0, icp=False), "f.cn": "timeout"})
    # down once in November, the second run in a row: BA301 opens; not "often" in the month
    world.crawl(beijing(2026, 11, 12), {"a.cn": footer(0, icp=False), "f.cn": "refused"})
    figures = compile_november(store)
    text = bulletin_text(figures)

    [threat] = figures.threats
    assert (threat.rule, threat.open.current) == ("BA301", 1)
    # 五（二） lists the site 四 counts as unreachable, never "none"
    assert "本月无多次监测无法访问的网站" not in text
    assert "本月1次监测中1次无法访问，月末仍无法访问" in text
    # no jargon, no rule codes, no promise of features to come
    for jargon in ("处置状态发生变化", "无变化", "发生变化", "按问题类型分别计", "BA301", "BA101",
                   "待相关监测项目启用后"):  # fmt: skip
        assert jargon not in text, jargon
    assert "按具体问题计，本月新发现" in text
