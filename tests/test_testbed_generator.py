"""The testbed generator: determinism, coverage of every kind, and ground truth that matches
the bytes it serves."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import lxml.html
import pytest

from audit.config import Profile, load_builtin_profile
from audit.demo.testbed import BEHAVIOURS, FOOTERS, OUTCOMES, SiteSpec, Testbed, generate
from audit.demo.testbed.generator import TOO_LARGE_BYTES, VISIBLE
from audit.page.domains import normalise_url, registrable_domain

ICP = re.compile(r"^(.)ICP备(\d+)号(-\d+)?$")
POLICE = re.compile(r"^(.)公网安备(\d{14})号$")


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_builtin_profile("yuncheng")


@pytest.fixture(scope="module")
def tb(profile: Profile) -> Testbed:
    return generate(profile, 300, seed=7)


def visible(tb: Testbed) -> list[SiteSpec]:
    return [s for s in tb.sites if s.behaviour in VISIBLE]


def home_url(site: SiteSpec) -> tuple[str, str]:
    """(host, path) of the page a crawler finally reads for a site."""
    final = site.expected["final_url"]
    host, _, path = final.removeprefix("http://").partition("/")
    return host, "/" + path


def body_of(tb: Testbed, site: SiteSpec, path: str | None = None) -> bytes:
    """A page's bytes; a homepage's with the file that holds its footer, if elsewhere."""
    host, final_path = home_url(site)
    page = tb.page(host, path or final_path)
    assert page.status == 200, (site.host, page.status)
    return tb.page_as_read(host, final_path) if path is None else page.body_bytes()


def decoded(tb: Testbed, site: SiteSpec) -> str:
    return body_of(tb, site).decode("gb18030" if site.encoding == "gbk" else "utf-8")


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_gives_identical_manifest_and_pages(profile: Profile, tb: Testbed) -> None:
    again = generate(profile, 300, seed=7)
    assert json.dumps(again.manifest(), ensure_ascii=False) == json.dumps(
        tb.manifest(), ensure_ascii=False
    )
    sample = visible(tb)[::15]
    assert len(sample) >= 10
    for site in sample:
        for path in (None, "/gywm/index.html", "/lxwm/index.html", "/news/1001.html"):
            host, final_path = home_url(site)
            a = tb.page(host, path or final_path).body_bytes()
            b = again.page(host, path or final_path).body_bytes()
            assert a == b, (site.host, path)


def test_output_does_not_depend_on_the_process(tb: Testbed) -> None:
    """No hash() or set order leaks into the output: another interpreter, same bytes."""
    code = (
        "import hashlib, json\n"
        "from audit.config import load_builtin_profile\n"
        "from audit.demo.testbed import generate\n"
        "tb = generate(load_builtin_profile('yuncheng'), 300, seed=7)\n"
        "h = hashlib.sha256(json.dumps(tb.manifest(), ensure_ascii=False).encode())\n"
        "for s in tb.sites[:60]:\n"
        "    h.update(tb.page(s.host, '/').body_bytes())\n"
        "print(h.hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    h = hashlib.sha256(json.dumps(tb.manifest(), ensure_ascii=False).encode())
    for site in tb.sites[:60]:
        h.update(tb.page(site.host, "/").body_bytes())
    assert out == h.hexdigest()


def test_different_seed_gives_different_sites(profile: Profile, tb: Testbed) -> None:
    other = generate(profile, 300, seed=8)
    assert other.manifest()["sites"] != tb.manifest()["sites"]
    assert set(other.hosts()) != set(tb.hosts())
    common = set(other.hosts()) & set(tb.hosts())
    assert len(common) < 150  # some fixed hosts (the district governments) are shared


def test_page_cache_does_not_change_bytes(profile: Profile) -> None:
    fresh = generate(profile, 80, seed=3)
    site = next(s for s in fresh.sites if s.behaviour == "ok")
    first = fresh.page(site.host, "/").body_bytes()
    assert fresh.page(site.host, "/").body_bytes() == first  # served from the cache
    assert generate(profile, 80, seed=3).page(site.host, "/").body_bytes() == first


# --- coverage -------------------------------------------------------------------------------


def test_every_behaviour_and_footer_appears_at_least_twice(tb: Testbed) -> None:
    behaviours = Counter(s.behaviour for s in tb.sites)
    assert set(behaviours) == set(BEHAVIOURS)
    assert min(behaviours.values()) >= 2, behaviours
    assert behaviours["ok"] > 0.6 * len(tb.sites)
    footers = Counter(s.footer for s in visible(tb))  # footers a crawler can actually see
    assert set(footers) == set(FOOTERS)
    assert min(footers.values()) >= 2, footers
    assert all(s.expected["outcome"] in OUTCOMES for s in tb.sites)


def test_traits_cover_the_tricky_cases(tb: Testbed) -> None:
    traits = Counter(t for s in tb.sites for t in s.traits)
    for trait in (
        "borrowed_icp",
        "police_out_of_jurisdiction",
        "police_province_mismatch",
        "icp_outdated_link",
        "government",
        "gov_missing_site_code",
        "gov_missing_badge",
        "gov_missing_sponsor",
        "quotes_other_number",
        "partner_list",
        "old_8_digit_icp",
        "icp_other_province",
        "charset_undeclared",
        "id_like_digits",
    ):
        assert traits[trait] >= 2, (trait, traits)
    assert traits["robots_disallow_all"] == 2


def test_categories_districts_and_inventory_share(tb: Testbed, profile: Profile) -> None:
    assert {s.category for s in tb.sites} == {
        "政府机关",
        "事业单位",
        "学校",
        "医院",
        "企业",
        "新闻媒体",
        "社会组织",
    }
    for site in tb.sites:
        assert profile.divisions[site.district_code] == site.district
        assert site.name and site.sponsor
        assert re.search(r"[\u4e00-\u9fff]", site.name)
    out = [s for s in tb.sites if not s.in_inventory]
    assert 0.05 * len(tb.sites) <= len(out) <= 0.11 * len(tb.sites)


def test_hosts_unique_and_realistic(tb: Testbed) -> None:
    hosts = tb.hosts() + list(tb.extra_hosts)
    assert len(hosts) == len(set(hosts))
    for host in hosts:
        assert normalise_url(host)[1] == host
    suffixes = Counter(
        next(
            (x for x in ("yuncheng.gov.cn", "edu.cn", "com.cn", "org.cn", ".com", ".cn", ".org")
             if host.endswith(x)),
            "other",
        )
        for host in tb.hosts()
    )  # fmt: skip
    assert suffixes["other"] == 0
    assert all(suffixes[x] > 0 for x in ("yuncheng.gov.cn", "com.cn", "org.cn", ".com", ".cn"))
    assert "www.yuncheng.gov.cn" in hosts or "yuncheng.gov.cn" in hosts


def test_names_unique(tb: Testbed) -> None:
    names = [s.name for s in tb.sites]
    assert len(names) == len(set(names))
    markers = [s.expected["footer_marker"] for s in visible(tb)]
    assert len(markers) == len(set(markers))


# --- files ----------------------------------------------------------------------------------


def test_write_manifest_and_inventory_round_trip(tb: Testbed, tmp_path: Path) -> None:
    manifest_path, inventory_path = tb.write(tmp_path / "out")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    assert manifest["seed"] == 7 and manifest["n"] == 300 and manifest["epoch"] == 0
    assert manifest["profile"] == "运城市"
    assert len(manifest["sites"]) == 300
    assert "运城市" in manifest_path.read_text("utf-8")  # ensure_ascii=False
    with inventory_path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["url", "name", "sponsor", "district", "category", "key_unit"]
    with inventory_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    listed = [s for s in tb.sites if s.in_inventory]
    assert len(rows) == len(listed)
    for row, site in zip(rows, listed, strict=True):
        assert row == {
            "url": site.url,
            "name": site.name,
            "sponsor": site.sponsor,
            "district": site.district,
            "category": site.category,
            "key_unit": "是" if site.key_unit else "否",
        }
    assert {r["key_unit"] for r in rows} == {"是", "否"}


# --- served bytes agree with the ground truth ------------------------------------------------


def test_titles_markers_and_links_match_the_html(tb: Testbed) -> None:
    for site in visible(tb):
        text = decoded(tb, site)
        doc = lxml.html.document_fromstring(text)
        assert doc.findtext(".//title") == site.expected["title"]
        assert site.expected["footer_marker"] in doc.text_content()
        links = {(a.get("href"), a.text_content()) for a in doc.iter("a")}
        assert ("/gywm/index.html", "关于我们") in links
        assert ("/lxwm/index.html", "联系我们") in links
        hrefs = {h for h, _ in links}
        for other in site.links_to:
            assert f"http://{other}/" in hrefs
        news = sorted(h for h in hrefs if h and h.startswith("/news/") and h != "/news/index.html")
        assert news, site.host
        host, _ = home_url(site)
        for path in ("/gywm/index.html", "/lxwm/index.html", news[0]):
            assert tb.page(host, path).status == 200
        # Every same-site link of the homepage is served.
        for href in hrefs:
            if href and href.startswith("/"):
                assert tb.page(host, href).status == 200, (host, href)
        assert len(site.links_to) <= 3


def test_numbers_shown_in_plain_html_are_in_the_bytes(tb: Testbed) -> None:
    plain = {"compliant", "icp_only", "police_only", "gov_full", "gov_missing_marks", "unlinked"}
    checked = 0
    for site in visible(tb):
        if site.footer not in plain:
            continue
        text = decoded(tb, site)
        for number in site.expected["icp"]:
            assert number in text
        for number in site.expected["police"]:
            m = POLICE.match(number)
            assert m
            assert re.search(f"{m.group(1)}公网安备 ?{m.group(2)}号", text)
        checked += 1
    assert checked > 100


def test_expected_numbers_are_normalised(tb: Testbed) -> None:
    for site in tb.sites:
        for number in site.expected["icp"]:
            assert ICP.match(number), number
        for number in site.expected["police"]:
            assert POLICE.match(number), number


def test_compliant_page_links_its_numbers(tb: Testbed) -> None:
    for site in (s for s in visible(tb) if s.footer == "compliant"):
        body = body_of(tb, site)
        icp = site.expected["icp"][0].encode(site.encoding)
        police_digits = POLICE.match(site.expected["police"][0]).group(2)  # type: ignore[union-attr]
        assert icp in body
        assert re.search(rb"beian\.miit\.gov\.cn|miitbeian\.gov\.cn|miibeian\.gov\.cn", body)
        assert re.search(rf"(recordcode|code)={police_digits}".encode(), body)
        assert site.expected["icp_linked"] and site.expected["police_linked"]


def test_js_written_numbers_are_not_in_the_raw_html(tb: Testbed) -> None:
    sites = [s for s in visible(tb) if s.footer == "js_written"]
    assert len(sites) >= 2
    for site in sites:
        raw = body_of(tb, site)
        text = raw.decode("gb18030" if site.encoding == "gbk" else "utf-8")
        assert site.expected["js_only"] is True
        assert site.expected["icp"] and site.expected["police"]
        for number in site.expected["icp"] + site.expected["police"]:
            assert number not in text
            digits = re.search(r"\d{8,}", number).group(0)  # type: ignore[union-attr]
            assert digits not in text
        assert "document." in text
        assert site.expected["footer_marker"] in text  # the copyright line stays static


def test_fullwidth_split_and_image_numbers(tb: Testbed) -> None:
    for site in visible(tb):
        text = decoded(tb, site)
        if site.footer == "fullwidth":
            assert any(ch in text for ch in "０１２３４５６７８９")
            assert site.expected["icp"][0] not in text
        elif site.footer == "split_tags":
            assert site.expected["icp"][0] not in text
        elif site.footer == "img_alt":
            doc = lxml.html.document_fromstring(text)
            alts = [img.get("alt") for img in doc.iter("img")]
            assert site.expected["icp"][0] in alts
            footer = doc.get_element_by_id("footer")
            assert site.expected["icp"][0] not in footer.text_content()


def test_placeholders_and_malformed_are_not_counted(tb: Testbed) -> None:
    for site in visible(tb):
        text = decoded(tb, site)
        if site.footer == "placeholder":
            assert site.expected["icp"] == [] and site.expected["police"] == []
            assert site.expected["placeholders"]
            for ph in site.expected["placeholders"]:
                assert ph in text
        if site.footer == "malformed":
            assert site.expected["icp"] == []
            for bad in site.expected["malformed"]:
                assert bad in text
                assert not ICP.match(bad) or len(ICP.match(bad).group(2)) not in (6, 8, 10)  # type: ignore[union-attr]


def test_government_marks(tb: Testbed) -> None:
    gov_full = [s for s in visible(tb) if s.footer == "gov_full"]
    assert gov_full
    for site in gov_full:
        body = body_of(tb, site)
        assert site.expected["site_code"] and site.expected["site_code"].encode() in body
        assert re.match(r"^\d{10}$", site.expected["site_code"])
        assert site.expected["site_code"].startswith("1408")
        assert b"conac.cn" in body
        assert site.expected["conac"] and site.expected["sponsor_shown"]
        assert f"主办单位：{site.sponsor}".encode(site.encoding) in body
    missing = [s for s in visible(tb) if s.footer == "gov_missing_marks"]
    for site in missing:
        body = body_of(tb, site)
        if "gov_missing_site_code" in site.traits:
            assert site.expected["site_code"] is None
            assert "标识码".encode(site.encoding) not in body
            assert b"SiteIDCode" not in body and b"sitecode" not in body
        if "gov_missing_badge" in site.traits:
            assert b"conac.cn" not in body and site.expected["conac"] is False
        if "gov_missing_sponsor" in site.traits:
            assert "主办单位".encode(site.encoding) not in body
    assert all(s.host.endswith(".gov.cn") for s in gov_full + missing)


def test_negatives_are_on_the_page_but_not_expected(tb: Testbed) -> None:
    quoting = [s for s in visible(tb) if "quotes_other_number" in s.traits]
    assert quoting
    for site in quoting:
        text = decoded(tb, site)
        numbers = set(re.findall(r"[京粤浙沪]ICP备\d+号", text))
        assert numbers - set(site.expected["icp"])
    partners = [s for s in visible(tb) if "partner_list" in s.traits]
    assert partners
    for site in partners:
        text = decoded(tb, site)
        assert "友情链接" in text
        others = set(re.findall(r"[\u4e00-\u9fff]ICP备\d+号(?:-\d+)?", text)) - set(
            site.expected["icp"]
        )
        assert others or "borrowed_icp" in tb.site(site.links_to[0]).traits


def test_borrowed_numbers_are_shared_by_different_sponsors(tb: Testbed) -> None:
    borrowed = [s for s in tb.sites if "borrowed_icp" in s.traits]
    assert len(borrowed) >= 4
    for site in borrowed:
        partner = tb.site(site.expected["icp_shared_with"][0])
        assert partner.sponsor != site.sponsor
        assert partner.expected["icp"] == site.expected["icp"]


def test_police_codes(tb: Testbed, profile: Profile) -> None:
    for site in visible(tb):
        for number in site.expected["police"]:
            prov, digits = POLICE.match(number).groups()  # type: ignore[union-attr]
            assert digits[6:8] == "02"
            inside = digits.startswith(profile.division_prefix)
            assert inside != ("police_out_of_jurisdiction" in site.traits)
            if "police_province_mismatch" in site.traits:
                assert prov == "晋" and digits.startswith("61")


def test_encodings(tb: Testbed) -> None:
    gbk = [s for s in visible(tb) if s.encoding == "gbk"]
    assert 0.08 * len(visible(tb)) < len(gbk) < 0.25 * len(visible(tb))
    undeclared = [s for s in gbk if not s.declares_charset]
    assert len(undeclared) >= 2
    header_only = [s for s in gbk if s.charset_declared_in == "header"]
    assert header_only
    for site in gbk:
        host, path = home_url(site)
        page = tb.page(host, path)
        body = page.body_bytes()
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        doc = lxml.html.document_fromstring(body.decode("gb18030"))
        assert doc.findtext(".//title") == site.expected["title"]
        content_type = page.header("Content-Type") or ""
        if site.charset_declared_in == "none":
            assert b"charset" not in body.lower()
            assert "charset" not in content_type.lower()
        if site.charset_declared_in == "header":
            assert b"charset" not in body.lower()
            assert "charset=gb" in content_type.lower()
    for site in visible(tb):
        if site.encoding == "utf-8":
            body_of(tb, site).decode("utf-8")  # strict


# --- behaviours -----------------------------------------------------------------------------


def test_redirects_follow_the_expected_chain(tb: Testbed) -> None:
    for site in tb.sites:
        if site.behaviour not in ("redirect_internal", "redirect_external", "redirect_loop"):
            continue
        url = site.url
        requested = []
        for _ in range(6):
            requested.append(url)
            host, _, path = url.removeprefix("http://").partition("/")
            page = tb.page(host, "/" + path)
            if page.status not in (301, 302):
                break
            location = page.header("Location")
            assert location
            url = location if location.startswith("http") else f"http://{host}{location}"
        if site.behaviour == "redirect_loop":
            assert requested[:3] == site.expected["redirect_chain"]
            assert requested[3] == requested[1]  # the cycle
            continue
        assert page.status == 200
        assert requested[-1] == site.expected["final_url"]
        assert requested[:-1] == site.expected["redirect_chain"]
        final_host = site.expected["final_url"].removeprefix("http://").split("/")[0]
        same = registrable_domain(final_host) == registrable_domain(site.host)
        assert same == (site.behaviour == "redirect_internal")


def test_error_behaviours(tb: Testbed) -> None:
    for site in tb.sites:
        page = tb.page(site.host, "/", slow_seconds=2.5)
        if site.behaviour == "http_404":
            assert page.status == 404 and site.expected["outcome"] == "http_error"
        elif site.behaviour == "http_500":
            assert page.status == 500 and site.expected["status"] == 500
        elif site.behaviour == "refused":
            assert page.status == 503
            assert page.header("X-Squid-Error") == "ERR_CONNECT_FAIL 111"
            assert site.expected["outcome"] == "refused" and site.expected["status"] is None
        elif site.behaviour == "dns_error":
            assert page.header("X-Squid-Error") == "ERR_DNS_FAIL 0"
        elif site.behaviour == "slow":
            assert page.delay == 2.5 and page.status == 200
            assert site.expected["outcome"] == "timeout"
        else:
            assert page.delay == 0
    unknown = tb.page("www.not-in-the-testbed.cn", "/")
    assert unknown.status == 503 and unknown.header("X-Squid-Error") == "ERR_DNS_FAIL 0"


def test_too_large_is_streamed_with_its_length(tb: Testbed) -> None:
    site = next(s for s in tb.sites if s.behaviour == "too_large")
    page = tb.page(site.host, "/")
    assert page.length == TOO_LARGE_BYTES and page.stream is not None
    total, biggest, first = 0, 0, b""
    for chunk in page.chunks():
        first = first or chunk
        total += len(chunk)
        biggest = max(biggest, len(chunk))
    assert total == TOO_LARGE_BYTES
    assert biggest <= 64 * 1024
    assert f"<title>{site.expected['title']}</title>".encode() in first
    assert site.expected["outcome"] == "too_large"


def test_robots_txt(tb: Testbed) -> None:
    denied = [s for s in tb.sites if "robots_disallow_all" in s.traits]
    assert len(denied) == 2
    for site in denied:
        assert tb.page(site.host, "/robots.txt").body_bytes() == b"User-agent: *\nDisallow: /\n"
        assert site.behaviour == "ok"
    site = next(s for s in visible(tb) if "robots_disallow_all" not in s.traits)
    host, _ = home_url(site)
    assert tb.page(host, "/robots.txt").body_bytes() == b"User-agent: *\nDisallow:\n"


def test_out_of_inventory_sites_are_discoverable(tb: Testbed, profile: Profile) -> None:
    linked_from: dict[str, list[SiteSpec]] = {}
    for site in tb.sites:
        for host in site.links_to:
            linked_from.setdefault(host, []).append(site)
    out = [s for s in tb.sites if not s.in_inventory]
    assert {s.discovery_depth for s in out} == {1, 2}
    for site in out:
        assert site.host.endswith("." + profile.gov_domain_suffixes[0])
        assert site.behaviour == "ok"
        sources = linked_from.get(site.host, [])
        wanted = 0 if site.discovery_depth == 1 else 1
        assert any(s.discovery_depth == wanted and s.behaviour in VISIBLE for s in sources)
        if site.discovery_depth == 2:
            assert not any(s.in_inventory for s in sources)


def test_outside_hosts_are_served(tb: Testbed) -> None:
    manifest = tb.manifest()
    for host in manifest["outside_hosts"]:
        assert tb.page(host, "/").status == 200
    assert any(site.links_outside for site in tb.sites)


# --- epochs ---------------------------------------------------------------------------------


def test_epochs_change_some_footers_deterministically(profile: Profile, tb: Testbed) -> None:
    later = generate(profile, 300, seed=7, epoch=2)
    again = tb.at_epoch(2)
    assert json.dumps(later.manifest(), ensure_ascii=False) == json.dumps(
        again.manifest(), ensure_ascii=False
    )
    assert tb.changed_since(0) == []
    changed = later.changed_since(0)
    assert 0.08 * len(visible(tb)) <= len(changed) <= 0.25 * len(visible(tb))
    changed_at_1 = set(tb.at_epoch(1).changed_since(0))
    assert changed_at_1 and changed_at_1 != set(changed)
    fixed = regressed = 0
    for host in changed:
        before, after = tb.site(host), later.site(host)
        assert before.behaviour == after.behaviour
        assert after.footer_history[-1][1] == after.footer
        if after.footer in ("compliant", "gov_full"):
            fixed += 1
            assert after.expected["icp"] and after.expected["police"]
            assert after.expected["icp"][0].encode(after.encoding) in body_of(later, after)
        else:
            assert after.footer == "none"
            regressed += 1
            assert after.expected["icp"] == []
    assert fixed > regressed > 0
    manifest = later.manifest()
    assert set(manifest["changed_at_epoch"]) == {"1", "2"}
    # Unchanged sites keep their bytes.
    same = next(s for s in visible(tb) if s.host not in changed)
    assert body_of(later, later.site(same.host)) == body_of(tb, same)


# --- scale ----------------------------------------------------------------------------------


def test_generating_5000_sites_is_fast_and_small(profile: Profile) -> None:
    start = time.perf_counter()
    big = generate(profile, 5000, seed=1)
    elapsed = time.perf_counter() - start
    assert elapsed < 10, elapsed
    assert len(big.sites) == 5000
    sizes = []
    for site in visible(big)[:200]:
        host, path = home_url(site)
        sizes.append(big.page(host, path).length)
    assert min(sizes) >= 30 * 1024 and max(sizes) <= 125 * 1024
    # Homepages share their filler: the distinct byte objects are far fewer than the pages.
    pages = [big.page(*home_url(s)) for s in visible(big)[:200]]
    distinct = {id(chunk) for p in pages for chunk in p.body}
    distinct_bytes = sum(len(c) for c in {id(c): c for p in pages for c in p.body}.values())
    assert distinct_bytes < 0.3 * sum(p.length for p in pages), len(distinct)


def test_small_testbeds_work(profile: Profile) -> None:
    for n in (1, 5, 25):
        small = generate(profile, n, seed=0)
        assert len(small.sites) == n
        assert any(s.in_inventory for s in small.sites)
        for site in small.sites:
            small.page(site.host, "/")
    with pytest.raises(ValueError):
        generate(profile, 0)
