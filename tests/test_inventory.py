"""Importing the inventory of websites, and the site queries of the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select, update

from audit.intake.inventory import InventoryRow, import_inventory, parse_inventory
from audit.intake.tabular import TableError
from audit.store import Site, Store
from audit.store.sites import add_site, list_sites, site_ids_by_host

HEADER = "网址,网站名称,主办单位,所属区县,类别,重点单位\n"


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "清单.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def all_sites(store: Store) -> list[dict[str, Any]]:
    """Every column of every site, by host: what 'the database is identical' compares."""
    with store.session() as session:
        rows = session.execute(select(Site.__table__).order_by(Site.host)).mappings()
        return [dict(row) for row in rows]


def test_gbk_csv_with_three_bad_rows_imports_the_good_rows_and_names_the_bad_ones(
    store: Store, tmp_path: Path
) -> None:
    """Acceptance: an unparseable URL, an empty row and a duplicate, in a GBK file."""
    path = write_csv(
        tmp_path,
        HEADER
        + "www.yuncheng.gov.cn,运城市人民政府,运城市人民政府办公室,市直,政府门户,是\n"  # 2
        + "http://www.yanhu .gov.cn,盐湖区人民政府,盐湖区人民政府办公室,盐湖区,政府门户,是\n"  # 3
        + ",,,,,\n"  # 4
        + "https://jyj.yuncheng.gov.cn/,运城市教育局,运城市教育局,市直,部门,否\n"  # 5
        + "WWW.YUNCHENG.GOV.CN/index.html,运城市政府,运城市政府办公室,市直,政府门户,是\n"  # 6
        + "www.linyi.gov.cn,临猗县人民政府,临猗县人民政府办公室,临猗县,政府门户,\n",  # 7
        encoding="gbk",
    )

    report = import_inventory(store, path)

    assert (report.inserted, report.updated, report.unchanged) == (3, 0, 0)
    assert [(p.line, p.reason) for p in report.problems] == [
        (3, "unparseable URL (URL contains spaces)"),
        (4, "empty row"),
        (6, "duplicate of line 2 (same host www.yuncheng.gov.cn)"),
    ]
    assert [str(p) for p in report.problems] == [
        "line 3: url 'http://www.yanhu .gov.cn': unparseable URL (URL contains spaces)",
        "line 4: empty row",
        "line 6: url 'WWW.YUNCHENG.GOV.CN/index.html':"
        " duplicate of line 2 (same host www.yuncheng.gov.cn)",
    ]
    sites = {s["host"]: s for s in all_sites(store)}
    assert sorted(sites) == ["jyj.yuncheng.gov.cn", "www.linyi.gov.cn", "www.yuncheng.gov.cn"]
    portal = sites["www.yuncheng.gov.cn"]
    assert portal["name"] == "运城市人民政府"  # the first row wins, decoded from GBK
    assert portal["sponsor"] == "运城市人民政府办公室"
    assert portal["key_unit"] is True
    assert portal["source"] == "inventory"
    assert sites["jyj.yuncheng.gov.cn"]["start_url"] == "https://jyj.yuncheng.gov.cn/"
    assert sites["www.linyi.gov.cn"]["key_unit"] is False


def test_parse_accepts_urls_without_scheme_and_normalises_them(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "网站域名,网站名称\n"
        "www.Example.gov.cn,甲\n"
        "https://b.yuncheng.gov.cn:443/portal/,乙\n"
        "ｗｗｗ．ｃ．ｇｏｖ．ｃｎ,丙\n"  # typed with a full-width input method
        "http：//d.gov.cn,丁\n",
    )
    parsed = parse_inventory(path)
    assert parsed.problems == []
    assert [(r.start_url, r.host, r.registrable_domain) for r in parsed.rows] == [
        ("http://www.example.gov.cn/", "www.example.gov.cn", "example.gov.cn"),
        ("https://b.yuncheng.gov.cn/portal/", "b.yuncheng.gov.cn", "yuncheng.gov.cn"),
        ("http://www.c.gov.cn/", "www.c.gov.cn", "c.gov.cn"),
        ("http://d.gov.cn/", "d.gov.cn", "d.gov.cn"),
    ]


def test_values_are_stripped_and_empty_optionals_are_none(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER + "\u3000www.a.gov.cn ,  甲\u3000, ,　,部门,\n", "utf-8-sig")
    (row,) = parse_inventory(path).rows
    assert row == InventoryRow(
        line=2,
        start_url="http://www.a.gov.cn/",
        host="www.a.gov.cn",
        registrable_domain="a.gov.cn",
        name="甲",
        sponsor=None,
        district=None,
        category="部门",
        key_unit=False,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("Yes", True),
        ("NO", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("√", True),
        ("×", False),
        ("Ｙ", True),  # typed with a full-width input method
        ("", False),
    ],
)
def test_key_unit_values(tmp_path: Path, text: str, expected: bool) -> None:
    path = write_csv(tmp_path, f"网址,是否重点单位\nwww.a.gov.cn,{text}\n")
    parsed = parse_inventory(path)
    assert parsed.problems == []
    assert parsed.rows[0].key_unit is expected


def test_a_bad_key_unit_keeps_the_row_with_a_warning_and_the_sites_value(
    store: Store, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "网址,重点单位\nwww.a.gov.cn,重要\nwww.b.gov.cn,是\n")
    parsed = parse_inventory(path)
    assert [(r.host, r.key_unit) for r in parsed.rows] == [("www.a.gov.cn", None),
                                                            ("www.b.gov.cn", True)]  # fmt: skip
    assert parsed.problems == []
    [warning] = parsed.warnings
    assert str(warning) == (
        "line 2: key_unit '重要': expected 是/否, yes/no, true/false, 1/0; the row is kept, the"
        " site's 重点单位 as it was (a new site: not a key unit)"
    )
    # imported: a new site is not a key unit; a site that was one stays one
    import_inventory(store, path)
    with store.session() as session:
        a = session.scalars(select(Site).where(Site.host == "www.a.gov.cn")).one()
        assert a.key_unit is False
        a.key_unit = True
    report = import_inventory(store, path)
    with store.session() as session:
        assert session.scalars(select(Site).where(Site.host == "www.a.gov.cn")).one().key_unit
    assert report.unchanged == 2 and len(report.warnings) == 1


def test_a_district_outside_the_profile_and_unknown_columns_are_reported_not_lost(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path, "网址,所属区县,备注列\nwww.a.gov.cn,火星区,x\nwww.b.gov.cn,盐湖区,y\n"
    )
    parsed = parse_inventory(path, districts=["盐湖区", "临猗县"])
    assert [r.district for r in parsed.rows] == ["火星区", "盐湖区"]  # kept as written
    assert [str(w) for w in parsed.warnings] == [
        "line 2: district '火星区': not a district of the profile (盐湖区、临猗县); kept as written"
    ]
    assert parsed.ignored_columns == ["备注列"]
    from click.testing import CliRunner

    from audit.cli import cli

    env = {"BEIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}
    result = CliRunner().invoke(cli, ["sites", "import", str(path)], env=env)
    assert result.exit_code == 0, result.output  # warnings only: every row imported
    assert "2 added" in result.stdout
    assert "columns not read (not known): 备注列" in result.stderr
    assert "district '火星区': not a district of the profile" in result.stderr


def test_a_row_without_url_and_a_too_long_value_are_row_problems(tmp_path: Path) -> None:
    path = write_csv(tmp_path, f"网址,网站名称,区县\n,甲,\nwww.a.gov.cn,乙,{'区' * 101}\n")
    problems = parse_inventory(path).problems
    assert [str(p) for p in problems[:1]] == ["line 2: url: missing"]
    assert (problems[1].line, problems[1].field, problems[1].reason) == (
        3,
        "district",
        "longer than 100 characters",
    )


def test_xlsx_inventory_with_a_numeric_cell_and_trailing_empty_rows(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "清单.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["运城市网站清单"])  # a title row above the header
    sheet.append(["序号", "网址", "网站名称", "单位名称", "区县", "类别", "是否重点单位"])
    sheet.append([1, "www.a.gov.cn", "甲", "甲单位", "盐湖区", 12, 1])
    sheet.append([2, "www.b.gov.cn", "乙", "乙单位", "临猗县", "部门", True])
    for row in range(5, 30):  # pre-numbered template rows nobody filled in
        sheet.cell(row=row, column=1, value=row - 2)
    workbook.save(path)

    report = import_inventory(store, path)
    assert report.problems == []
    assert report.inserted == 2
    assert report.ignored_columns == ["序号"]
    with store.session() as session:
        sites = list_sites(session)
        assert [(s.host, s.category, s.key_unit, s.sponsor) for s in sites] == [
            ("www.b.gov.cn", "部门", True, "乙单位"),  # 临猗县 < 盐湖区 in code-point order
            ("www.a.gov.cn", "12", True, "甲单位"),
        ]


def test_reimport_is_idempotent(store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        HEADER
        + "www.a.gov.cn,甲,甲单位,盐湖区,部门,是\n"
        + "www.b.gov.cn,乙,,临猗县,,否\n"
        + "bad url,丙,,,,\n",
        encoding="gbk",
    )
    first = import_inventory(store, path)
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    before = all_sites(store)

    second = import_inventory(store, path)

    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
    assert [p.line for p in second.problems] == [4]
    assert all_sites(store) == before


def test_reimport_overwrites_fields_and_keeps_first_and_last_seen(
    store: Store, tmp_path: Path
) -> None:
    import_inventory(store, write_csv(tmp_path, HEADER + "www.a.gov.cn,甲,甲单位,盐湖区,部门,是\n"))
    crawled = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    with store.session() as session:
        session.execute(update(Site).values(last_seen=crawled))
    (before,) = all_sites(store)

    edited = write_csv(tmp_path, HEADER + "https://www.a.gov.cn/,新甲,,盐湖区,部门,否\n", "gbk")
    report = import_inventory(store, edited)

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    (after,) = all_sites(store)
    assert after["first_seen"] == before["first_seen"]
    assert after["last_seen"] == crawled
    assert (after["start_url"], after["name"], after["sponsor"], after["key_unit"]) == (
        "https://www.a.gov.cn/",
        "新甲",
        None,  # emptied in the file: emptied in the store
        False,
    )


def test_a_column_the_file_lacks_leaves_that_field_alone(store: Store, tmp_path: Path) -> None:
    import_inventory(store, write_csv(tmp_path, HEADER + "www.a.gov.cn,甲,甲单位,盐湖区,部门,是\n"))
    report = import_inventory(store, write_csv(tmp_path, "网址,网站名称\nwww.a.gov.cn,甲\n"))
    assert report.unchanged == 1
    (site,) = all_sites(store)
    assert (site["sponsor"], site["district"], site["key_unit"]) == ("甲单位", "盐湖区", True)


def test_a_discovered_site_listed_in_the_inventory_becomes_an_inventory_site(
    store: Store, tmp_path: Path
) -> None:
    with store.session() as session:
        add_site(
            session,
            "http://news.yuncheng.gov.cn/",
            "news.yuncheng.gov.cn",
            source="discovered",
            discovered_from="www.yuncheng.gov.cn",
            discovery_depth=1,
        )
    (before,) = all_sites(store)

    report = import_inventory(
        store, write_csv(tmp_path, HEADER + "news.yuncheng.gov.cn,运城新闻网,,市直,,\n")
    )

    assert (report.inserted, report.updated) == (0, 1)
    (after,) = all_sites(store)
    assert (after["source"], after["discovery_depth"], after["name"]) == (
        "inventory",
        0,
        "运城新闻网",
    )
    assert after["id"] == before["id"]
    assert after["first_seen"] == before["first_seen"]
    assert after["discovered_from"] == "www.yuncheng.gov.cn"  # how it was first found
    # And importing again changes nothing more.
    again = import_inventory(
        store, write_csv(tmp_path, HEADER + "news.yuncheng.gov.cn,运城新闻网,,市直,,\n")
    )
    assert again.unchanged == 1


def test_a_large_inventory_is_written_in_several_batches(store: Store, tmp_path: Path) -> None:
    lines = [f"site{i}.yuncheng.gov.cn,网站{i},单位{i},盐湖区,部门,{i % 2}\n" for i in range(5000)]
    path = write_csv(tmp_path, HEADER + "".join(lines), "gbk")
    assert import_inventory(store, path).inserted == 5000
    with store.session() as session:
        ids = site_ids_by_host(session, [f"site{i}.yuncheng.gov.cn" for i in range(5000)])
        assert len(ids) == len(set(ids.values())) == 5000
    again = import_inventory(store, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5000)


def test_missing_url_column_names_the_file_and_the_aliases(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "网站名称,主办单位\n甲,甲单位\n", "gbk")
    with pytest.raises(TableError) as caught:
        import_inventory(store, path)
    message = str(caught.value)
    assert str(path) in message
    assert "no url column (looked for 网址, " in message and "域名" in message
    assert "headers found on line 1: 网站名称, 主办单位" in message
    assert all_sites(store) == []


def test_xls_is_refused_with_save_as_advice(tmp_path: Path) -> None:
    path = tmp_path / "清单.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(TableError, match=r"save it as \.xlsx"):
        parse_inventory(path)


# -- the store's site queries --------------------------------------------------------------------


def test_add_site_inserts_then_updates_only_what_is_given(store: Store) -> None:
    with store.session() as session:
        site = add_site(
            session, "http://www.a.gov.cn/", "www.a.gov.cn", name="甲", sponsor="甲单位"
        )
        assert (site.registrable_domain, site.source, site.key_unit) == (
            "a.gov.cn",
            "inventory",
            False,
        )
        first_seen = site.first_seen
        site = add_site(session, "https://www.a.gov.cn/", "www.a.gov.cn", district="盐湖区")
        assert (site.start_url, site.name, site.sponsor, site.district) == (
            "https://www.a.gov.cn/",
            "甲",
            "甲单位",
            "盐湖区",
        )
        assert site.first_seen == first_seen
        # A host found through links never overrides what the store knows.
        site = add_site(session, "http://www.a.gov.cn/x", "www.a.gov.cn", source="discovered")
        assert (site.source, site.start_url) == ("inventory", "https://www.a.gov.cn/")


def seed(store: Store) -> None:
    with store.session() as session:
        for host, district, category, source in [
            ("www.yanhu.gov.cn", "盐湖区", "政府门户", "inventory"),
            ("jyj.yanhu.gov.cn", "盐湖区", "部门", "inventory"),
            ("www.linyi.gov.cn", "临猗县", "政府门户", "inventory"),
            ("a-b.yuncheng.gov.cn", None, None, "discovered"),
            ("ab.yuncheng.gov.cn", None, None, "discovered"),
        ]:
            add_site(
                session,
                f"http://{host}/",
                host,
                district=district,
                category=category,
                source=source,
            )


def test_list_sites_orders_by_district_then_host(store: Store) -> None:
    seed(store)
    with store.session() as session:
        assert [s.host for s in list_sites(session)] == [
            "www.linyi.gov.cn",  # 临 (U+4E34) < 盐 (U+76D0)
            "jyj.yanhu.gov.cn",
            "www.yanhu.gov.cn",
            "a-b.yuncheng.gov.cn",  # no district: last
            "ab.yuncheng.gov.cn",
        ]


@pytest.mark.parametrize(
    ("filters", "hosts"),
    [
        ({"district": "盐湖区"}, ["jyj.yanhu.gov.cn", "www.yanhu.gov.cn"]),
        ({"category": "政府门户"}, ["www.linyi.gov.cn", "www.yanhu.gov.cn"]),
        ({"source": "discovered"}, ["a-b.yuncheng.gov.cn", "ab.yuncheng.gov.cn"]),
        ({"host_contains": "YANHU"}, ["jyj.yanhu.gov.cn", "www.yanhu.gov.cn"]),
        ({"host_contains": "_"}, []),  # LIKE wildcards are matched literally
        ({"district": "盐湖区", "category": "部门"}, ["jyj.yanhu.gov.cn"]),
        ({"limit": 2}, ["www.linyi.gov.cn", "jyj.yanhu.gov.cn"]),
    ],
)
def test_list_sites_filters(store: Store, filters: dict[str, Any], hosts: list[str]) -> None:
    seed(store)
    with store.session() as session:
        assert [s.host for s in list_sites(session, **filters)] == hosts


def test_site_ids_by_host_leaves_out_unknown_hosts(store: Store) -> None:
    seed(store)
    with store.session() as session:
        ids = site_ids_by_host(session, ["www.linyi.gov.cn", "nowhere.gov.cn", "www.linyi.gov.cn"])
        site = session.scalars(select(Site).where(Site.host == "www.linyi.gov.cn")).one()
        assert ids == {"www.linyi.gov.cn": site.id}
        assert site_ids_by_host(session, []) == {}


def test_a_removed_site_is_no_longer_crawled_and_comes_back_when_imported_again(
    store: Store, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from audit.cli import cli
    from audit.store.crawls import crawl_targets, create_run

    csv = tmp_path / "sites.csv"
    csv.write_text("url,name\nwww.a.gov.cn,A\nwww.b.gov.cn,B\n", "utf-8")
    import_inventory(store, csv)
    env = {"BEIAN_DATABASE_URL": store.engine.url.render_as_string(hide_password=False)}

    removed = CliRunner().invoke(cli, ["sites", "remove", "www.b.gov.cn", "www.nope.cn"], env=env)
    assert removed.exit_code == 2  # one host unknown; the known one is removed all the same
    assert "www.b.gov.cn: removed" in removed.stdout and "www.nope.cn" in removed.stderr
    with store.session() as session:
        assert [s.host for s in list_sites(session)] == ["www.a.gov.cn"]
        assert len(list_sites(session, retired=True)) == 2
        run = create_run(session)
        assert [t.host for t in crawl_targets(session, run.id)] == ["www.a.gov.cn"]

    report = import_inventory(store, csv)  # listed again: back in the inventory
    assert report.updated == 1 and report.unchanged == 1
    with store.session() as session:
        assert len(list_sites(session)) == 2


def test_the_sheet_of_a_workbook_is_chosen_by_name(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from audit.cli import cli

    path = tmp_path / "清单.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["本表为运城市网站清单"])
    second = workbook.create_sheet("网站")
    second.append(["网址", "网站名称"])
    second.append(["www.a.gov.cn", "甲"])
    workbook.save(path)
    env = {"BEIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}
    result = CliRunner().invoke(cli, ["sites", "import", str(path), "--sheet", "网站"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout


def test_idn_hosts_are_shown_in_their_own_characters_and_a_moved_site_is_reported(
    store: Store, tmp_path: Path
) -> None:
    import json

    from click.testing import CliRunner

    from audit.cli import cli

    env = {"BEIAN_DATABASE_URL": store.engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    first = write_csv(
        tmp_path, "网址,网站名称\nhttp://运城.政务.cn/,运城政务\nhttp://www.x.cn/,X\n"
    )
    assert runner.invoke(cli, ["sites", "import", str(first)], env=env).exit_code == 0

    # stored as DNS needs it, shown as people read it; found by either form
    listed = json.loads(runner.invoke(cli, ["sites", "list", "--json"], env=env).stdout)
    assert "xn--uis561k.xn--zfr164b.cn" in {s["host"] for s in listed}
    table = runner.invoke(cli, ["sites", "list"], env=env).stdout
    assert "运城.政务.cn" in table and "xn--" not in table
    csv_out = runner.invoke(cli, ["sites", "list", "--csv"], env=env).stdout
    assert "运城.政务.cn" in csv_out
    shown = runner.invoke(cli, ["sites", "show", "运城.政务.cn"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "host            运城.政务.cn  (xn--uis561k.xn--zfr164b.cn)" in shown.stdout

    # a site now served over https: reported as a change, not only counted as "updated"
    second = write_csv(tmp_path, "网址,网站名称\nhttp://运城.政务.cn/,运城政务\nhttps://www.x.cn/,X\n",
                       name="清单2.csv")  # fmt: skip
    moved = runner.invoke(cli, ["sites", "import", str(second)], env=env)
    assert moved.exit_code == 0, moved.output
    assert "www.x.cn: start URL changed: http://www.x.cn/ → https://www.x.cn/" in moved.stderr
    assert "1 updated, 1 unchanged" in moved.stdout
    report = json.loads(runner.invoke(cli, ["sites", "import", str(first), "--json"],
                                      env=env).stdout)  # fmt: skip
    assert report["start_url_changes"] == [
        {"host": "www.x.cn", "before": "https://www.x.cn/", "now": "http://www.x.cn/"}
    ]
