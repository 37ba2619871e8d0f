"""The schema: migrations agree with the models, and timestamps round-trip as aware UTC."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import func, select, text

from audit.store import CrawlRun, Notice, NoticeSet, PageBody, Site, Snapshot, Store
from audit.store.db import alembic_config, current_revision, head_revision


def test_a_new_database_is_brought_to_the_latest_schema(db_url: str) -> None:
    with Store(db_url) as store:
        assert current_revision(store.engine) == head_revision(store.engine)
        # The revisions create exactly what the models describe (raises otherwise).
        command.check(alembic_config(store.engine))


def test_migrations_downgrade_to_nothing_and_back(store: Store) -> None:
    config = alembic_config(store.engine)
    command.downgrade(config, "base")
    assert current_revision(store.engine) is None
    command.upgrade(config, "head")
    assert current_revision(store.engine) == head_revision(store.engine)


def test_times_come_back_as_aware_utc(store: Store) -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    started = dt.datetime(2026, 11, 1, 0, 30, tzinfo=shanghai)
    with store.session() as session:
        site = Site(
            host="www.example.gov.cn",
            registrable_domain="example.gov.cn",
            start_url="http://www.example.gov.cn/",
        )
        run = CrawlRun(started_at=started)
        session.add_all([site, run])
        session.flush()
        session.add(Snapshot(run_id=run.id, site_id=site.id, outcome="ok", http_status=200))
    with store.session() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.started_at == started
        assert run.started_at.tzinfo is not None
        assert run.started_at.utcoffset() == dt.timedelta(0)
        snapshot = session.scalars(select(Snapshot)).one()
        assert snapshot.redirect_chain == [] and snapshot.headers == {}


def test_going_back_keeps_the_rows_of_the_tables_that_stay(store: Store) -> None:
    """Downgrades drop columns natively: a batch copy of a table on SQLite would drop the
    old table, and the DROP would cascade to every row that points at it."""
    with store.session() as session:
        site = Site(host="a.gov.cn", registrable_domain="a.gov.cn", start_url="http://a.gov.cn/")
        run = CrawlRun()
        session.add_all([site, run])
        session.flush()
        session.add(Snapshot(run_id=run.id, site_id=site.id, outcome="ok", reading="partial"))
    config = alembic_config(store.engine)
    for revision in ("0008", "0004", "0002"):
        command.downgrade(config, revision)
        with store.engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM snapshots")) == 1, revision
    command.upgrade(config, "head")
    with store.session() as session:
        assert session.scalars(select(Snapshot)).one().reading == "complete"  # as judged then


def test_the_audit_loads_snapshots_without_their_page_html(store: Store) -> None:
    from sqlalchemy import inspect

    from audit.store import findings as store_findings

    with store.session() as session:
        site = Site(
            host="www.example.gov.cn",
            registrable_domain="example.gov.cn",
            start_url="http://www.example.gov.cn/",
        )
        run = CrawlRun()
        session.add_all([site, run])
        session.flush()
        body = PageBody(sha256="0" * 64, html_gz=b"x" * 1000)
        session.add(Snapshot(run_id=run.id, site_id=site.id, outcome="ok", body=body))
        run_id = run.id
    with store.session() as session:
        [(_, snapshot)] = store_findings.run_snapshots(session, run_id)
        # the evidence stays in the database until somebody asks for it
        assert "body" in inspect(snapshot).unloaded
        assert snapshot.html_gz == b"x" * 1000


def test_the_pages_kept_in_snapshots_move_to_bodies_stored_once_and_back(store: Store) -> None:
    pages = [b"same", b"same", b"changed", None]  # four runs of one site
    with store.session() as session:
        site = Site(host="a.gov.cn", registrable_domain="a.gov.cn", start_url="http://a.gov.cn/")
        runs = [CrawlRun() for _ in pages]
        session.add_all([site, *runs])
        session.flush()
        session.add_all(Snapshot(run_id=run.id, site_id=site.id, outcome="ok") for run in runs)
    config = alembic_config(store.engine)
    command.downgrade(config, "0009")  # where each snapshot kept its own page
    with store.engine.begin() as connection:
        ids = connection.execute(text("SELECT id FROM snapshots ORDER BY run_id")).scalars()
        for snapshot_id, page in zip(list(ids), pages, strict=True):
            connection.execute(text("UPDATE snapshots SET html_gz = :p WHERE id = :i"),
                               {"p": page, "i": snapshot_id})  # fmt: skip
    command.upgrade(config, "head")
    with store.session() as session:
        kept = session.scalars(select(Snapshot).order_by(Snapshot.run_id))
        assert [snapshot.html_gz for snapshot in kept] == pages
        assert session.scalar(select(func.count()).select_from(PageBody)) == 2
    command.downgrade(config, "0009")
    with store.engine.connect() as connection:
        back = connection.execute(text("SELECT html_gz FROM snapshots ORDER BY run_id")).scalars()
        assert list(back) == pages
    command.upgrade(config, "head")


def test_the_notices_of_each_snapshot_move_to_sets_stored_once_and_back(store: Store) -> None:
    from audit.store import findings as store_findings

    icp = ("icp", "晋ICP备05195224号-1", True)
    police = ("police", "晋公网安备14082202563647号", True)
    shown = [[icp, police], [icp, police], [icp], [], [police, icp]]  # five runs of one site
    with store.session() as session:
        site = Site(host="a.gov.cn", registrable_domain="a.gov.cn", start_url="http://a.gov.cn/")
        runs = [CrawlRun() for _ in shown]
        session.add_all([site, *runs])
        session.flush()
        session.add_all(Snapshot(run_id=run.id, site_id=site.id, outcome="ok") for run in runs)
    config = alembic_config(store.engine)
    command.downgrade(config, "0010")  # where each snapshot had its own notice rows
    insert = text(
        "INSERT INTO notices (snapshot_id, run_id, site_id, kind, number, raw, valid, details)"
        " VALUES (:snapshot, :run, :site, :kind, :number, :raw, :valid, :details)"
    )
    with store.engine.begin() as connection:
        rows = connection.execute(text("SELECT id, run_id, site_id FROM snapshots ORDER BY run_id"))
        for (snapshot, run, site_id), notices in zip(list(rows), shown, strict=True):
            for kind, number, valid in notices:
                keys = {"snapshot": snapshot, "run": run, "site": site_id}
                values = {"kind": kind, "number": number, "raw": number, "valid": valid}
                connection.execute(insert, {**keys, **values, "details": '{"confidence": "high"}'})
    command.upgrade(config, "head")

    def shown_by_run() -> list[list[tuple[str, str, bool]]]:
        with store.session() as session:
            snapshots = session.execute(select(Snapshot.id, Snapshot.run_id)).all()
            found = []
            for snapshot_id, run_id in sorted(snapshots, key=lambda row: row[1]):
                notices = store_findings.notices_by_snapshot(session, run_id)[snapshot_id]
                found.append([(n["kind"], n["number"], n["valid"]) for n in notices])
                assert all(n["details"] == {"confidence": "high"} for n in notices)
            return found

    assert shown_by_run() == shown
    with store.session() as session:
        # three different sets (the order of a page's notices is part of what it shows)
        assert session.scalar(select(func.count()).select_from(NoticeSet)) == 3
        assert session.scalar(select(func.count()).select_from(Notice)) == 5
    command.downgrade(config, "0010")
    with store.engine.connect() as connection:
        back = connection.execute(
            text("SELECT run_id, kind, number FROM notices ORDER BY run_id, id")
        ).all()
    assert back == [(run, kind, number) for run, notices in enumerate(shown, 1)
                    for kind, number, _ in notices]  # fmt: skip
    command.upgrade(config, "head")
    assert shown_by_run() == shown
