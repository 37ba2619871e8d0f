"""Discovery through links, bounded, and the analysts' acceptance of what it finds (issue 10,
item 7).

Before: one 4.7 MB page listing 100,000 hosts of the jurisdiction added 100,000 sites to
the inventory for good (every later crawl visited them all), and its analysis took about
20 s. Now a run follows at most ``discover_per_page`` new hosts from a page and
``discover_max`` in all, reads at most ``links_per_page`` links of a page, says what was
left out, and the sites it adds wait for an analyst's ``beian sites accept``.

Crawls run as ``python -m audit crawl`` in a subprocess, through the hostile testbed server
on loopback as their proxy (it answers every host a link-flood page lists), into a real
SQLite database; the migration is checked on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select

from audit.bulletin.compile import compile_figures
from audit.bulletin.period import month_period
from audit.config import LOCAL_TZ, load_builtin_profile
from audit.demo.testbed import generate
from audit.demo.testbed.hostile import (
    FLOOD_HOSTS,
    HostileServer,
    HostileSite,
    compliant_footer,
    flooded_host,
    hostile_sites,
    link_flood_page,
)
from audit.page.analyse import AnalysisOptions, analyse_page
from audit.store import CrawlRun, Finding, Link, Site, Snapshot, Store
from audit.store.db import alembic_config, current_revision
from audit.store.models import UTCDateTime, utcnow
from audit.store.sites import add_site

pytestmark = pytest.mark.crawl

PROFILE = load_builtin_profile("yuncheng")
FLOODS = hostile_sites(["link-flood"], copies=2)  # two pages, each listing 100,000 hosts
LINKER = HostileSite("linker.hostile.yuncheng.gov.cn", "compliant", 980)
# A host the flood lists, linked with its port by LINKER's page: the server answers it on
# any port, with a page that shows no filing notice (findings, once it is judged).
PORTED_HOST = flooded_host(7)
PORTED_URL = f"http://{PORTED_HOST}:8080/"
BOUNDS = (
    '[crawl]\nrender = "off"\nlinks_per_page = 1000\ndiscover_per_page = 200\ndiscover_max = 250\n'
)


@dataclass
class Command:
    status: int
    stdout: str
    stderr: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.stdout)


def beian(work: Path, db_url: str, *args: str, config: str = BOUNDS, stdin: str = "") -> Command:
    """``python -m audit ARGS`` in ``work``, with its own beian.toml and database."""
    (work / "beian.toml").write_text(config, "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env.update(BEIAN_DATABASE_URL=db_url, BEIAN_CONFIG=str(work / "beian.toml"))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "audit", *args],
        cwd=work, env=env, input=stdin, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return Command(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def crawl(work: Path, db_url: str, server: HostileServer, *extra: str) -> Command:
    done = beian(
        work, db_url, "crawl", "--proxy", server.url, "--timeout", "5", "--no-progress",
        "--json", *extra,
    )  # fmt: skip
    assert done.status == 0, done.stderr[-3000:]
    return done


def crawled_hosts(store: Store, run_id: int) -> dict[str, Snapshot]:
    with store.session() as session:
        rows = session.execute(
            select(Site.host, Snapshot).join(Snapshot.site).where(Snapshot.run_id == run_id)
        )
        return {host: snapshot for host, snapshot in rows}


def sites_by_host(store: Store) -> dict[str, Site]:
    with store.session() as session:
        return {site.host: site for site in session.scalars(select(Site))}


def findings_of(store: Store, host: str) -> set[str]:
    with store.session() as session:
        rules = session.scalars(
            select(Finding.rule).join(Site, Site.id == Finding.site_id).where(Site.host == host)
        )
        return set(rules)


def this_month(store: Store) -> tuple[int, int]:
    """(sites monitored, sites crawled) in this month's bulletin figures, as of now."""
    today = dt.datetime.now(LOCAL_TZ)
    with store.session() as session:
        figures = compile_figures(session, PROFILE, month_period(today.year, today.month))
    return figures.overview.monitored.current, figures.overview.crawled.current


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    testbed = generate(PROFILE, 1, seed=3)
    with HostileServer(testbed, [*FLOODS, LINKER], linked_host=f"{PORTED_HOST}:8080") as served:
        yield served


@dataclass
class Flooded:
    store: Store
    command: Command
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def flooded(server: HostileServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flooded]:
    """The two flood pages in the inventory, crawled once with --discover."""
    work = tmp_path_factory.mktemp("flood")
    db_url = f"sqlite:///{work / 'beian.db'}"
    with Store(db_url) as store:
        with store.session() as session:
            for site in FLOODS:
                add_site(session, f"http://{site.host}/", site.host)
        done = crawl(work, db_url, server, "--discover")
        yield Flooded(store, done, done.json())


# --- the bounds -------------------------------------------------------------------------


@pytest.mark.fault
def test_a_page_listing_100000_hosts_adds_only_what_the_bounds_allow(flooded: Flooded) -> None:
    run_id = flooded.summary["run_id"]
    sites = sites_by_host(flooded.store)
    discovered = {host for host, site in sites.items() if site.source == "discovered"}
    # Both pages list the same hosts in the same order: the first page read gives its 200
    # (discover_per_page), the second the 50 the run has room for (discover_max = 250).
    assert discovered == {flooded_host(i) for i in range(250)}
    assert all(sites[h].accepted_at is None and sites[h].discovery_run_id == run_id
               for h in discovered)  # fmt: skip
    # In the run that found them, they are crawled.
    assert set(crawled_hosts(flooded.store, run_id)) == discovered | {s.host for s in FLOODS}
    assert flooded.summary["state"] == "finished"
    assert flooded.command.seconds < 120  # about 20 s here


@pytest.mark.fault
def test_the_run_says_what_the_bounds_left_out(flooded: Flooded) -> None:
    links_on_page = FLOOD_HOSTS + compliant_footer(0).count("<a ")
    assert flooded.summary["discovery"] == {
        "discover": True,
        "followed": 250,
        "pending": 250,
        # the first 1,000 links of each page name 1,000 hosts; 250 of them followed
        "left_out": 750,
        "pages_over_limit": 2,
        "run_limit_reached": True,
        "pages_links_cut": 2,
        "links_not_read": 2 * (links_on_page - 1000),
    }
    assert "250 new hosts followed, 750 left out by the bounds" in flooded.command.stderr
    with flooded.store.session() as session:
        run = session.get_one(CrawlRun, flooded.summary["run_id"])
        assert run.stats["beian/discovery/left_out"] == 750
        # the links read are recorded, the hosts left out among them too
        links = session.scalar(select(func.count()).select_from(Link).where(Link.run_id == run.id))
    assert links == 2 * 1000


def test_beian_crawl_prints_the_discovery_figures(
    flooded: Flooded, server: HostileServer, tmp_path: Path
) -> None:
    db_url = str(flooded.store.engine.url)
    # A run without --discover: only the links bound applies.
    done = beian(tmp_path, db_url, "crawl", "--proxy", server.url, "--no-progress",
                 "--site", FLOODS[0].host, "--no-audit")  # fmt: skip
    assert done.status == 0, done.stderr[-2000:]
    assert "pages past links_per_page" in done.stdout
    assert "new hosts followed" not in done.stdout


@pytest.mark.fault
def test_the_flood_page_is_read_in_bounded_time() -> None:
    """Before: about 20 s, resolving each of its 100,000 links."""
    body = link_flood_page(900)
    options = AnalysisOptions(profile=PROFILE, extra_pages=2, links_per_page=1000)
    started = time.perf_counter()
    analysis = analyse_page(body, "http://flood.yuncheng.gov.cn/", "text/html; charset=utf-8",
                            site_host="flood.yuncheng.gov.cn", options=options)  # fmt: skip
    seconds = time.perf_counter() - started
    assert seconds < 8, f"{seconds:.1f} s"
    assert len(analysis.jurisdiction_links) == 1000
    assert analysis.links_not_read == FLOOD_HOSTS + 3 - 1000
    # the footer after the links is still read
    assert {"icp", "police"} <= {notice["kind"] for notice in analysis.notices}


# --- acceptance -------------------------------------------------------------------------


def test_a_discovered_site_waits_for_acceptance_and_keeps_its_port(
    server: HostileServer, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'beian.db'}"
    with Store(db_url) as store:
        with store.session() as session:
            add_site(session, f"http://{LINKER.host}/", LINKER.host)

        # 1. --discover finds PORTED_HOST through LINKER's page, and crawls it in that run.
        first = crawl(tmp_path, db_url, server, "--discover").json()
        pending = sites_by_host(store)[PORTED_HOST]
        assert (pending.source, pending.start_url) == ("discovered", PORTED_URL)
        assert (pending.accepted_at, pending.discovery_run_id) == (None, first["run_id"])
        snapshot = crawled_hosts(store, first["run_id"])[PORTED_HOST]
        assert (snapshot.outcome, snapshot.final_url) == ("ok", PORTED_URL)
        # ... but does not judge it, nor count it in the bulletin.
        assert findings_of(store, PORTED_HOST) == set()
        assert this_month(store) == (1, 1)
        listed = beian(tmp_path, db_url, "sites", "list", "--pending", "--json").json()
        assert [(s["host"], s["start_url"]) for s in listed] == [(PORTED_HOST, PORTED_URL)]

        # 2. The next regular crawl leaves it alone.
        second = crawl(tmp_path, db_url, server).json()
        assert set(crawled_hosts(store, second["run_id"])) == {LINKER.host}

        # 3. An analyst accepts it: crawled, on its port, judged and counted from now on.
        accepted = beian(tmp_path, db_url, "sites", "accept", PORTED_HOST, "--by", "李明")
        assert accepted.status == 0 and f"{PORTED_HOST}: accepted by 李明" in accepted.stdout
        assert beian(tmp_path, db_url, "sites", "list", "--pending", "--json").json() == []
        third = crawl(tmp_path, db_url, server).json()
        snapshot = crawled_hosts(store, third["run_id"])[PORTED_HOST]
        assert (snapshot.outcome, snapshot.final_url) == ("ok", PORTED_URL)
        assert sites_by_host(store)[PORTED_HOST].accepted_by == "李明"
        assert "BA101" in findings_of(store, PORTED_HOST)  # its page shows no ICP number
        assert this_month(store) == (2, 2)


def test_sites_accept_all_asks_first(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'beian.db'}"
    hosts = ["a.yuncheng.gov.cn", "b.yuncheng.gov.cn", "c.yuncheng.gov.cn"]
    with Store(db_url) as store, store.session() as session:
        for host in hosts:
            add_site(session, f"http://{host}/", host, source="discovered")
        add_site(session, "http://www.yuncheng.gov.cn/", "www.yuncheng.gov.cn")
    refused = beian(tmp_path, db_url, "sites", "accept", "--all", stdin="n\n")
    assert refused.status == 1 and "Accept 3 discovered sites" in refused.stdout
    assert "nothing accepted" in refused.stderr
    assert len(beian(tmp_path, db_url, "sites", "list", "--pending", "--json").json()) == 3

    # An inventory listing accepts a pending site too.
    (tmp_path / "inventory.csv").write_text("url,name\nhttp://a.yuncheng.gov.cn/,A\n", "utf-8")
    assert beian(tmp_path, db_url, "sites", "import", "inventory.csv").status == 0
    done = beian(tmp_path, db_url, "sites", "accept", "--all", "--yes", "--by", "王芳")
    assert done.status == 0 and "2 sites accepted by 王芳" in done.stdout
    listed = {s["host"]: s for s in beian(tmp_path, db_url, "sites", "list", "--json").json()}
    assert listed["a.yuncheng.gov.cn"]["accepted_by"] == "inventory"
    assert listed["b.yuncheng.gov.cn"]["accepted_by"] == "王芳"
    assert listed["www.yuncheng.gov.cn"]["accepted_by"] == "inventory"

    again = beian(tmp_path, db_url, "sites", "accept", "b.yuncheng.gov.cn", "nowhere.gov.cn")
    assert again.status == 2
    assert "b.yuncheng.gov.cn: accepted already" in again.stdout
    assert "nowhere.gov.cn: no such site" in again.stderr


# --- the migration ----------------------------------------------------------------------


def test_migration_0008_accepts_the_existing_sites_and_goes_back_without_loss(
    db_url: str,
) -> None:
    """Existing sites, discovered ones included (they were crawled regularly), are accepted,
    from the moment the bulletins counted them from; going back loses no snapshot."""
    at = {name: dt.datetime(2026, 11, day, 2, tzinfo=dt.UTC)
          for name, day in (("crawl", 1), ("listed", 5), ("found", 9))}  # fmt: skip
    with Store(db_url) as store:
        config = alembic_config(store.engine)
        command.downgrade(config, "0007")
        sites = sa.table(
            "sites", *(sa.column(c) for c in ("id", "host", "registrable_domain", "start_url",
                                              "key_unit", "source", "discovery_depth")),
            sa.column("first_seen", UTCDateTime()), sa.column("last_seen", UTCDateTime()),
        )  # fmt: skip
        runs = sa.table("crawl_runs", sa.column("id"), sa.column("trigger"),
                        sa.column("state"), sa.column("options"), sa.column("stats"),
                        sa.column("started_at", UTCDateTime()))  # fmt: skip
        snapshots = sa.table("snapshots", sa.column("run_id"), sa.column("site_id"),
                             sa.column("outcome"), sa.column("redirect_chain"),
                             sa.column("headers"), sa.column("pages_fetched"),
                             sa.column("html_truncated"), sa.column("rendered"),
                             sa.column("fetched_at", UTCDateTime()))  # fmt: skip
        with store.engine.begin() as connection:
            for site in (
                {"id": 1, "host": "www.yuncheng.gov.cn", "source": "inventory",
                 "first_seen": at["listed"]},
                {"id": 2, "host": "old.yuncheng.gov.cn", "source": "discovered",
                 "first_seen": at["found"]},
            ):  # fmt: skip
                connection.execute(sites.insert().values(
                    registrable_domain="yuncheng.gov.cn", start_url=f"http://{site['host']}/",
                    key_unit=False, discovery_depth=0, last_seen=at["found"], **site,
                ))  # fmt: skip
            connection.execute(runs.insert().values(
                id=1, trigger="manual", state="finished", options="{}", stats="{}",
                started_at=at["crawl"],
            ))  # fmt: skip
            connection.execute(snapshots.insert().values(
                run_id=1, site_id=2, outcome="ok", redirect_chain="[]", headers="{}",
                pages_fetched=1, html_truncated=False, rendered=False, fetched_at=at["crawl"],
            ))  # fmt: skip

        command.upgrade(config, "head")
        with store.session() as session:
            accepted = {s.host: (s.accepted_at, s.accepted_by, s.discovery_run_id)
                        for s in session.scalars(select(Site))}  # fmt: skip
        assert accepted == {
            "www.yuncheng.gov.cn": (at["listed"], "inventory", None),
            # crawled (1 Nov) before it was recorded (9 Nov): counted from its crawl
            "old.yuncheng.gov.cn": (at["crawl"], "migration 0008", None),
        }

        # Down again, past 0006 (which also changes sites): every snapshot stays.
        command.downgrade(config, "0005")
        assert current_revision(store.engine) == "0005"
        with store.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("sites")}
            kept = connection.scalar(sa.text("SELECT count(*) FROM snapshots"))
        assert not {"accepted_at", "accepted_by", "discovery_run_id", "retired_at"} & columns
        assert kept == 1
        command.upgrade(config, "head")
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(Snapshot)) == 1
            assert {s.accepted_by for s in session.scalars(select(Site))} == {
                "inventory",
                "migration 0008",
            }


def test_a_site_added_now_is_accepted_and_a_discovered_one_waits(store: Store) -> None:
    with store.session() as session:
        listed = add_site(session, "http://www.yuncheng.gov.cn/", "www.yuncheng.gov.cn")
        found = add_site(session, "http://new.yuncheng.gov.cn:8080/", "new.yuncheng.gov.cn",
                         source="discovered")  # fmt: skip
        assert listed.accepted_by == "inventory" and listed.accepted_at is not None
        assert found.accepted_at is None and found.start_url.endswith(":8080/")
        assert listed.accepted_at <= utcnow()


def test_a_site_under_a_countys_domain_or_showing_its_police_number_is_of_that_district() -> None:
    assert PROFILE.district_of("gxj.yanhu.yuncheng.gov.cn") == "盐湖区"
    assert PROFILE.district_of("YANHU.yuncheng.gov.cn.") == "盐湖区"
    assert PROFILE.district_of("yanhu.yuncheng.gov.cn.evil.cn") is None
    assert PROFILE.district_of("www.shop.cn", ["14083002000123"]) == "芮城县"
    assert PROFILE.district_of("www.shop.cn", ["11010502000123"]) is None  # not of the city
    assert PROFILE.district_of("www.yuncheng.gov.cn") is None  # the city's own: no county


def test_accepted_discovered_sites_get_the_district_something_names(
    store: Store, tmp_path: Path
) -> None:
    from audit.notices import extract_notices
    from audit.store import crawls as store_crawls

    county, shop, unknown = "gxj.yanhu.yuncheng.gov.cn", "www.ycshop.cn", "www.ycother.cn"
    police = '<p><a href="http://www.beian.gov.cn/">晋公网安备14083002000123号</a></p>'
    footers = {county: compliant_footer(1), shop: police, unknown: "<p>版权所有</p>"}
    with store.session() as session:
        run = store_crawls.create_run(session)
        store_crawls.write_batch(
            session, run.id,
            # as the spider reports them: the district its host names, if any
            discovered=[{"host": h, "start_url": f"http://{h}/", "discovered_from": "x.cn",
                         "depth": 1, "district": PROFILE.district_of(h)} for h in footers],
            snapshots=[{"host": h, "outcome": "ok", "fetched_at": run.started_at,
                        "http_status": 200, "final_url": f"http://{h}/",
                        "notices": extract_notices(f"<html><body><footer>{f}</footer></body>"
                                                   "</html>", f"http://{h}/",
                                                   profile=PROFILE).records()}
                       for h, f in footers.items()],
        )  # fmt: skip
    db_url = store.engine.url.render_as_string(hide_password=False)
    pending = beian(tmp_path, db_url, "sites", "list", "--pending", "--json").json()
    assert {s["host"]: s["district"] for s in pending}[county] == "盐湖区"

    done = beian(tmp_path, db_url, "sites", "accept", shop, unknown, county, "--by", "李明")
    assert done.status == 0, done.stderr
    assert f"{shop}: accepted by 李明, district 芮城县" in done.stdout  # its police number
    assert f"{unknown}: accepted by 李明\n" in done.stdout  # nothing says: left empty
    listed = {s["host"]: s["district"] for s in beian(tmp_path, db_url, "sites", "list",
                                                       "--json").json()}  # fmt: skip
    assert listed == {county: "盐湖区", shop: "芮城县", unknown: None}
