"""Extracting notices from pages: one behaviour per test, as examples of use."""

from __future__ import annotations

import datetime
import time

from lxml import etree, html

from audit.config import load_builtin_profile
from audit.notices import extract_from_tree, extract_notices, footer_text, parse_html

TODAY = datetime.date(2025, 11, 1)
URL = "https://www.example.gov.cn/"
YUNCHENG = load_builtin_profile("yuncheng")
MIIT = "https://beian.miit.gov.cn/"
MPS = "http://www.beian.gov.cn/portal/registerSystemInfo?recordcode="


def extract(body: str, **kwargs):  # type: ignore[no-untyped-def]
    page = f"<html><body><div class='main'>新闻</div>{body}</body></html>"
    return extract_notices(page, URL, today=TODAY, **kwargs)


# -- the result -------------------------------------------------------------------------


def test_json_has_exactly_the_six_keys_and_complete_items() -> None:
    notices = extract(
        f'<div class="footer">主办单位：运城市人民政府办公室　承办：运城市大数据中心'
        f'<a href="{MIIT}">晋ICP备2021004567号-1</a>'
        f'<a href="{MPS}14080202000231"><img src="ga.png">晋公网安备 14080202000231号</a>'
        f"网站标识码：1408000001</div>",
        profile=YUNCHENG,
    )
    data = notices.to_json()
    assert list(data) == ["icp", "icp_licence", "police", "site_code", "conac", "sponsor"]
    icp = data["icp"][0]
    assert icp["number"] == "晋ICP备2021004567号-1"
    assert icp["main_number"] == "晋ICP备2021004567号"
    assert (icp["province"], icp["site_index"], icp["form"]) == ("晋", 1, "filing")
    assert (icp["valid"], icp["linked"], icp["link_outdated"]) == (True, True, False)
    assert icp["link_url"] == MIIT
    assert (icp["source"], icp["confidence"], icp["reasons"]) == ("footer_text", "high", [])
    police = data["police"][0]
    assert police["raw"] == "晋公网安备 14080202000231号"
    assert police["division_code"] == "140802"
    assert police["division_name"] == "盐湖区"
    assert police["division_retired"] is None
    assert police["in_jurisdiction"] is True
    assert police["province_matches_code"] is True
    assert data["site_code"][0]["number"] == "1408000001"
    assert data["site_code"][0]["in_jurisdiction"] is True
    assert data["sponsor"] == {
        "name": "运城市人民政府办公室",
        "raw": "主办单位：运城市人民政府办公室",
        "source": "footer_text",
    }
    assert data["conac"] is None


def test_raw_keeps_what_the_page_shows() -> None:
    notices = extract('<div class="footer">晋ＩＣＰ备２０２１００４５６７号－１</div>')
    assert notices.icp[0].number == "晋ICP备2021004567号-1"
    assert notices.icp[0].raw == "晋ＩＣＰ备２０２１００４５６７号－１"


def test_empty_or_broken_pages_give_empty_notices() -> None:
    assert extract_notices(b"", URL).to_json()["icp"] == []
    assert extract_notices("   ", URL).icp == ()
    assert extract_notices(b"\x00\xff\xfe garbage", URL).police == ()


# -- links ------------------------------------------------------------------------------


def test_retired_registry_hosts_count_as_linked_but_outdated() -> None:
    item = extract(
        '<div class="footer"><a href="http://www.miibeian.gov.cn/">晋ICP备2021004567号</a></div>'
    ).icp[0]
    assert item.linked and item.link_outdated
    assert "outdated_registry_host" in item.reasons


def test_dead_links_do_not_count() -> None:
    notices = extract(
        '<div class="footer"><a href="#">晋ICP备2021004567号</a>'
        '<a href="javascript:void(0)">晋公网安备14080202000231号</a>'
        f"<a onclick=\"window.open('{MIIT}')\">晋ICP备2021004567号-2</a></div>"
    )
    assert not any(item.linked for item in (*notices.icp, *notices.police))
    assert not notices.links_icp_registry


def test_an_image_only_registry_link_beside_the_number_links_it() -> None:
    notices = extract(
        f'<div class="footer"><a href="{MPS}14080202000231"><img src="ga.png"></a>'
        "<span>晋公网安备14080202000231号</span></div>"
    )
    assert notices.police[0].linked


def test_a_neighbouring_police_link_does_not_link_the_icp_number() -> None:
    notices = extract(
        '<div class="footer">晋ICP备2021004567号 '
        f'<a href="{MPS}14080202000231"><img src="ga.png"></a>'
        "晋公网安备14080202000231号</div>"
    )
    assert not notices.icp[0].linked
    assert notices.icp[0].link_registry is None
    assert notices.police[0].linked


def test_a_number_linked_to_the_wrong_registry() -> None:
    notices = extract(
        f'<div class="footer"><a href="{MIIT}">备案号：滇公网安备53010302000732号</a></div>'
    )
    police = notices.police[0]
    assert not police.linked
    assert police.link_registry == "miit"
    assert "linked_to_icp_registry" in police.reasons
    assert notices.links_icp_registry and not notices.links_police_registry


def test_link_code_differing_from_the_number_shown() -> None:
    police = extract(
        f'<div class="footer"><a href="{MPS}14080202000999">晋公网安备14080202000231号</a></div>'
    ).police[0]
    assert police.linked
    assert police.link_code == "14080202000999"
    assert "link_code_mismatch" in police.reasons


def test_image_map_area_counts_only_with_the_number_in_its_alt() -> None:
    with_number = extract(
        f'<div class="footer"><map><area href="{MIIT}" alt="晋ICP备2021004567号"></map></div>'
    )
    assert with_number.icp[0].linked and with_number.icp[0].source == "img_alt"
    # 长江网 (real footer 004): a hotspot labelled 网站备案查询 beside a plain-text number.
    hotspot = extract(
        '<div class="footer">晋ICP备2021004567号<img usemap="#m">'
        f'<map name="m"><area href="{MIIT}" alt="网站备案查询"></map></div>'
    )
    assert not hotspot.icp[0].linked
    assert hotspot.registry_links[0].registry == "miit"  # still recorded for the page


# -- forms ------------------------------------------------------------------------------


def test_numbers_split_across_tags_and_lines() -> None:
    notices = extract(
        '<div class="footer"><span>晋ICP备</span><span>2021004567</span>号-1'
        "<p>晋公网安备<br>14080202000231<br>号</p></div>"
    )
    assert notices.numbers("icp") == ["晋ICP备2021004567号-1"]
    assert notices.numbers("police") == ["晋公网安备14080202000231号"]


def test_digits_of_neighbouring_text_are_not_glued_on() -> None:
    notices = extract(
        '<div class="footer"><p>晋公网安备14080202000231 2024</p><p>晋ICP备08001234 2019</p></div>'
    )
    assert notices.numbers("police") == ["晋公网安备14080202000231号"]
    assert notices.numbers("icp") == ["晋ICP备08001234号"]


def test_licence_shaped_numbers_with_a_site_index_are_filing_numbers() -> None:
    notices = extract(
        f'<div class="footer"><a href="{MIIT}">粤B2-20090191-2</a>'
        " 京ICP证030173号 京B2-20090059</div>"
    )
    assert [(i.number, i.form) for i in notices.icp] == [("粤B2-20090191-2", "telecom_licence")]
    assert notices.numbers("icp_licence") == ["京ICP证030173号", "京B2-20090059"]


def test_police_typos_are_read_and_flagged() -> None:
    notices = extract(
        '<div class="footer">湘公安网备号43010402000231号 晋公网备14080202000231号</div>'
    )
    assert notices.numbers("police") == ["湘公网安备43010402000231号", "晋公网安备14080202000231号"]
    assert all("nonstandard_label" in p.reasons for p in notices.police)


def test_fan_registries_are_not_filings() -> None:
    assert extract('<div class="footer">萌ICP备20240123号</div>').icp == ()


def test_placeholders_are_listed_but_not_counted() -> None:
    notices = extract(
        f'<div class="footer"><a href="{MIIT}">{{$cfg_beian}}</a> 晋公网安备xxxxxxxxxxxxxx号</div>'
    )
    assert notices.icp[0].placeholder and not notices.icp[0].valid
    assert notices.icp[0].reasons == ("template_variable", "placeholder")
    assert notices.police[0].placeholder
    assert notices.numbers("icp") == [] and notices.numbers("police") == []


# -- where numbers come from --------------------------------------------------------------


def test_numbers_only_in_alt_or_title() -> None:
    notices = extract(
        f'<div class="footer"><a href="{MIIT}" title="晋ICP备2021004567号"><img src="b.png"></a>'
        f'<a href="{MPS}14080202000231">'
        '<img src="ga.png" alt="晋公网安备14080202000231号"></a></div>'
    )
    assert (notices.icp[0].source, notices.icp[0].linked) == ("link_title", True)
    assert (notices.police[0].source, notices.police[0].linked) == ("img_alt", True)


def test_a_footer_written_by_javascript() -> None:
    notices = extract(
        """<div id="ft"></div><script>
        document.writeln("<div class=\\"foot\\"><a href=\\'https://beian.miit.gov.cn/\\'>晋ICP备2021004567号-1</a></div>");
        </script>"""
    )
    item = notices.icp[0]
    assert (item.number, item.source, item.linked) == ("晋ICP备2021004567号-1", "script", True)


def test_a_json_config_links_numbers_to_the_registry_urls_beside_them() -> None:
    notices = extract(
        '<script>var cfg = {"icp":"晋ICP备2021004567号","icpLink":"https://beian.miit.gov.cn/",'
        f'"gaba":"晋公网安备14080202000231号","gabaLink":"{MPS}14080202000231"}};</script>'
    )
    assert notices.icp[0].linked and notices.police[0].linked


def test_a_footer_duplicated_in_a_script_template_counts_once() -> None:
    footer = f'<a href="{MIIT}">晋ICP备2021004567号-1</a>'
    notices = extract(
        f'<div class="footer">{footer}</div><script type="text/html" id="tpl">{footer}</script>'
    )
    assert notices.numbers("icp") == ["晋ICP备2021004567号-1"]
    assert notices.icp[0].occurrences == 2
    assert notices.icp[0].sources == ("footer_text", "script")
    assert notices.icp[0].source == "footer_text"  # the visible copy is the evidence


def test_site_code_from_meta_and_conac_from_its_script() -> None:
    page = (
        '<html><head><meta name="SiteIDCode" content="1408000001"></head><body>'
        '<div class="footer"><script src="https://dcs.conac.cn/js/05/000/0000/1/CA05.js"></script>'
        "</div></body></html>"
    )
    notices = extract_notices(page, URL)
    assert notices.site_code[0].source == "meta"
    assert notices.conac is not None and notices.conac.kind == "script"


def test_hidden_numbers_are_flagged() -> None:
    notices = extract(
        '<div class="footer"><span style="display: none">晋ICP备2021004567号</span></div>'
    )
    assert "hidden" in notices.icp[0].reasons


# -- whose number is it -------------------------------------------------------------------

FILLER = "<p>" + "今日要闻内容。" * 300 + "</p>"


def test_numbers_quoted_in_an_article_are_not_the_sites() -> None:
    notices = extract(
        '<div class="article-content"><p>经查，该网站备案号为京ICP备16058363号。</p></div>'
        + FILLER
        + '<div class="footer">晋ICP备2021004567号</div>'
    )
    assert notices.numbers("icp") == ["晋ICP备2021004567号"]
    assert [(r.number, r.why) for r in notices.rejected] == [("京ICP备16058363号", "article")]


def test_a_partner_list_with_numbers_is_not_the_sites() -> None:
    notices = extract(
        '<div class="friendlink">友情链接：<a href="http://a.com/">甲 京ICP备16058363号</a></div>'
        '<div class="footer"><ul><li>一中 晋公网安备14080202000111号</li>'
        "<li>二中 晋公网安备14080202000222号</li></ul>晋ICP备2021004567号</div>"
    )
    assert notices.numbers("icp") == ["晋ICP备2021004567号"]
    assert notices.police == ()
    assert {r.why for r in notices.rejected} == {"partner", "list_of_other_sites"}


def test_confidence_follows_the_place() -> None:
    footer = extract('<div class="footer">晋ICP备2021004567号</div>')
    header = extract('<div class="top">本站备案号：晋ICP备2021004567号</div>' + FILLER)
    nowhere = extract('<div class="top">晋ICP备2021004567号</div>' + FILLER)
    assert footer.icp[0].confidence == "high"
    assert (header.icp[0].confidence, header.icp[0].source) == ("low", "body_text")
    assert nowhere.icp == ()
    assert nowhere.rejected[0].why == "outside_footer"


def test_phone_numbers_and_id_like_runs_are_not_numbers() -> None:
    notices = extract(
        '<div class="footer">电话：0359-2021001 身份证：14080219900101123X 备案人：张三 '
        "本公司代办ICP备案 ICP 2023年报</div>"
    )
    assert notices.to_json() == {
        "icp": [],
        "icp_licence": [],
        "police": [],
        "site_code": [],
        "conac": None,
        "sponsor": None,
    }


# -- inputs -------------------------------------------------------------------------------


def _traditional(text: str) -> str:
    return (
        text.replace("主办单位：运城市", "主辦單位：運城市")
        .replace("晋ICP备", "晉ICP備")
        .replace("号", "號")
    )


def test_encoded_pages_with_and_without_declaration() -> None:
    text = '<div class="footer">主办单位：运城市某局 晋ICP备2021004567号</div>'
    for body, content_type in [
        (text.encode("gbk"), None),
        (text.encode("gbk"), "text/html; charset=gbk"),
        (text.encode("gb18030"), None),
        (_traditional(text).encode("big5"), None),
        (_traditional(text).encode("big5"), "text/html; charset=big5"),
    ]:
        notices = extract_notices(body, URL, content_type=content_type)
        assert notices.numbers("icp") == ["晋ICP备2021004567号"], content_type


def test_extract_from_a_tree_the_crawler_already_parsed() -> None:
    page = (
        f'<html><body><div class="footer"><a href="{MIIT}">晋ICP备2021004567号</a></div>'
        "</body></html>"
    )
    for tree in (
        html.document_fromstring(page),
        etree.fromstring(page, etree.HTMLParser()),  # plain lxml.etree elements work too
        parse_html(page),
    ):
        before = etree.tostring(tree)
        notices = extract_from_tree(tree, URL)
        assert notices.numbers("icp") == ["晋ICP备2021004567号"]
        assert etree.tostring(tree) == before  # the tree is left as it was


def test_footer_text_for_snapshots() -> None:
    tree = parse_html(
        '<html><body><div class="nav">首页</div><div class="main">新闻</div>'
        '<div id="footer"><p>版权所有　运城市人民政府</p><p style="display:none">隐藏</p>'
        "<script>var x=1;</script><p>晋ICP备2021004567号</p></div></body></html>"
    )
    assert tree is not None
    assert footer_text(tree) == "版权所有 运城市人民政府\n晋ICP备2021004567号"
    unmarked = parse_html(
        "<html><body><div>菜单</div><div>新闻列表</div><div>版权所有 某局</div></body></html>"
    )
    assert unmarked is not None
    assert footer_text(unmarked).endswith("版权所有 某局")


def test_sponsor_needs_the_footer_or_the_word_danwei() -> None:
    event = extract('<div class="notice"><p>本次活动主办：运城市文联</p></div><p>版权所有</p>')
    assert event.sponsor is None
    footer = extract(
        '<div class="footer">主办：运城市人民政府办公室 承办：运城市政务信息中心</div>'
    )
    assert footer.sponsor is not None and footer.sponsor.name == "运城市人民政府办公室"


def test_a_headline_title_quoting_a_number_is_not_the_sites() -> None:
    notices = extract(
        '<ul><li><a href="/a/1.html" title="关于京ICP备16058363号网站违规的通报">通报</a></li></ul>'
        "<div>版权所有 晋ICP备2021004567号</div>"
    )
    assert notices.numbers("icp") == ["晋ICP备2021004567号"]


def test_a_client_side_template_lends_its_link_to_the_configured_number() -> None:
    notices = extract(
        f'<div class="footer"><a href="{MIIT}">{{{{ footer.icp }}}}</a></div>'
        '<script>window.__CONFIG__={"footer":{"icp":"晋ICP备2021004567号-1"}};</script>'
    )
    (item,) = notices.icp
    assert (item.number, item.linked, item.source) == ("晋ICP备2021004567号-1", True, "script")
    assert "linked_through_template" in item.reasons


def test_pathological_pages_stay_cheap() -> None:
    deep = "<div class='footer'>" + "<font>" * 1500 + "晋ICP备2021004567号" + "</font>" * 1500
    flat = ("新闻内容，" * 3000 + "<br>") * 10 + "晋ICP备2021004567号 版权所有"
    for page in (deep, flat):
        start = time.process_time()
        notices = extract(page + "</div>")
        assert notices.numbers("icp") == ["晋ICP备2021004567号"]
        assert time.process_time() - start < 1.0


def test_records_for_the_store() -> None:
    notices = extract(
        '<div class="footer">主办单位：运城市某局 晋ICP备2021004567号'
        '<a href="https://bszs.conac.cn/sitename?method=show&amp;id=1">党政机关</a></div>'
    )
    rows = notices.records()
    assert [row["kind"] for row in rows] == ["icp", "conac", "sponsor"]
    assert set(rows[0]) == {"kind", "number", "raw", "valid", "linked", "source", "details"}
    assert rows[0]["details"]["main_number"] == "晋ICP备2021004567号"


def test_a_number_quoted_in_a_sentence_near_the_end_is_not_the_pages_own() -> None:
    notices = extract(
        "<div class='notice'><p>近日，网信部门通报了一批违规网站，其中“某某资讯网”"
        "（沪ICP备2023038183号）因未按规定履行义务被依法处置。</p></div>"
        f"<div>版权所有 <a href='{MIIT}'>晋ICP备2025260746号</a></div>"
    )
    assert notices.numbers("icp") == ["晋ICP备2025260746号"]
    assert [r.number for r in notices.rejected] == ["沪ICP备2023038183号"]


def test_a_filing_number_under_no_provinces_abbreviation_is_invalid() -> None:
    notices = extract(f"<div class='footer'><a href='{MIIT}'>河东ICP备2024166903号-1</a></div>")
    (icp,) = notices.icp
    assert icp.number == "河东ICP备2024166903号-1"
    assert not icp.valid
    assert "unknown_province" in icp.reasons
    # a fan "registry" is no filing at all, and a company name is not a prefix
    assert extract("<div class='footer'>萌ICP备20210001号</div>").icp == ()
    assert extract("<div class='footer'>某某科技公司秦ICP备2021262472号</div>").icp == ()


def test_seven_digits_read_as_an_early_short_form_nine_as_a_wrong_count() -> None:
    short = extract("<div class='footer'>晋ICP备0512345号</div>").icp[0]
    wrong = extract("<div class='footer'>晋ICP备202112345号</div>").icp[0]
    assert short.valid and "historical_short_form" in short.reasons
    assert not wrong.valid and "digit_count" in wrong.reasons
