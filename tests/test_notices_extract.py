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


# -- real-world variations (issue 11 item 4), one kind per test ------------------------


def test_a_province_written_in_full_takes_its_abbreviation() -> None:
    notices = extract(
        "<div class='footer'>广东省ICP备16058363号-1 四川ICP备20005033号 "
        "四川省公网安备51110202000301号</div>"
    )
    assert notices.numbers("icp") == ["粤ICP备16058363号-1", "蜀ICP备20005033号"]
    assert notices.numbers("police") == ["川公网安备51110202000301号"]
    assert all("province_in_full" in item.reasons for item in (*notices.icp, *notices.police))
    # 辽宁 is Liaoning, not the 宁 (Ningxia) its last character would say
    assert extract("<div class='footer'>辽宁ICP备18015387号</div>").numbers("icp") == [
        "辽ICP备18015387号"
    ]


def test_label_variants_in_brackets_and_the_old_police_organ_label() -> None:
    notices = extract(
        "<div class='footer'>蜀 ICP(备)10025767号 北京市公安局朝阳分局备案编号110105014669</div>"
    )
    assert notices.numbers("icp") == ["蜀ICP备10025767号"]
    variants = extract(
        "<div class='footer'>京ICP备字第16058363号 沪ICP备-17005035号 ICP备案号：浙20017509号-3 "
        "网站标识码为3300000020</div>"
    )
    assert variants.numbers("icp") == [
        "京ICP备16058363号",
        "沪ICP备17005035号",
        "浙ICP备20017509号-3",
    ]
    assert variants.numbers("site_code") == ["3300000020"]
    (police,) = notices.police
    assert police.number == "京公网安备110105014669号"
    assert "nonstandard_label" in police.reasons


def test_a_telecom_licence_under_the_icp_licence_label_keeps_its_province() -> None:
    notices = extract("<div class='footer'>京ICP证B2-20171701号 沪ICP证 B2-20040146</div>")
    assert notices.numbers("icp_licence") == ["京B2-20171701", "沪B2-20040146"]


def test_a_bare_licence_in_the_filing_slot_is_a_licence() -> None:
    notices = extract(
        "<div class='footer'>备案号：B2-20180101 ICP备案号："
        f"<a href='{MIIT}'>京ICP证030173号</a></div>"
    )
    assert notices.numbers("icp") == []
    assert notices.numbers("icp_licence") == ["B2-20180101", "京ICP证030173号"]
    assert notices.links_icp_registry


def test_a_number_a_digit_off_is_reported_malformed_not_dropped() -> None:
    notices = extract(
        "<div class='footer'>陕ICP备180017334 陕公网安备6101960200052 "
        "政府网站标识码：310000000044</div>"
    )
    items = [*notices.icp, *notices.police, *notices.site_code]
    assert [item.number for item in items] == [
        "陕ICP备180017334号",
        "陕公网安备6101960200052号",
        "310000000044",
    ]
    assert all(not item.valid and "digit_count" in item.reasons for item in items)
    licences = extract("<div class='footer'>京ICP证0301735 粤B2-200901912</div>").icp_licence
    assert [(item.number, item.valid) for item in licences] == [
        ("京ICP证0301735号", False),
        ("粤B2-200901912", False),
    ]
    # nor is the first piece of a number a script assembles (the browser shows it whole)
    pieces = extract(
        '<div class="footer"><script>var icp="晋ICP备20236"+"7"+"3649"+"号-2";'
        'var ga="晋公网安备1408810202"+"1016号";</script></div>'
    )
    assert pieces.icp == () and pieces.police == ()
    # a police label before a short run of digits is not a number at all
    assert extract("<div class='footer'>公网安备 12345</div>").police == ()


def test_site_indexes_on_police_numbers_and_app_service_letters() -> None:
    notices = extract(
        "<div class='footer'>[京公网安备:110102003042-1] 辽ICP备18015387号-7A "
        "网站标识号：1500000007</div>"
    )
    assert notices.numbers("police") == ["京公网安备110102003042号-1"]
    (app,) = notices.icp
    assert (app.number, app.site_index, app.valid) == ("辽ICP备18015387号-7A", 7, True)
    assert "app_filing" in app.reasons
    assert notices.numbers("site_code") == ["1500000007"]


def test_template_stand_ins_and_disguised_digits_are_placeholders() -> None:
    notices = extract(
        "<div class='footer'>省ICP备 05952902号-1 省公网安备 449041485291号 "
        "吉ICP备07500273X号</div>"
    )
    assert len(notices.icp) == 2 and len(notices.police) == 1
    assert all(item.placeholder for item in (*notices.icp, *notices.police))
    assert notices.numbers("icp") == notices.numbers("police") == []


def test_made_up_digits_are_placeholders() -> None:
    made_up = [
        "湘ICP备 00000001号",  # 0…01
        "苏ICP备1000000号",  # a round number
        "京ICP证1000001号",  # zeros and ones, and a digit too many for a licence
        "京公安网备110101000005号",  # a one-digit serial
        "湘公网安备 8552455262252号",  # no such code, and not Hunan's: self-contradictory
        "辽ICP备66666号-1",  # one digit repeated
        "京ICP备1234568号-2",  # a run typed with a slip
        "广东ICP备1314号",  # fewer digits than any number issued
    ]
    for shown in made_up:
        notices = extract(f"<div class='footer'>{shown}</div>")
        items = [*notices.icp, *notices.icp_licence, *notices.police]
        assert len(items) == 1 and items[0].placeholder, shown
    # well-formed, if demo-looking: the registry, not the reader, decides (corpus README)
    assert extract("<div class='footer'>青ICP备 20230001号</div>").numbers("icp") == [
        "青ICP备20230001号"
    ]
    # real numbers of the same shapes stay
    real = extract("<div class='footer'>京ICP证000007号 京公网安备11000002000001号</div>")
    assert real.numbers("icp_licence") == ["京ICP证000007号"]
    assert real.numbers("police") == ["京公网安备11000002000001号"]


def test_a_malformed_number_among_placeholders_is_one_of_them() -> None:
    fake = extract(
        "<div class='footer'>苏ICP备1000000号 苏公网安备32012345678900号 网站标识码:320124567</div>"
    )
    assert fake.site_code[0].placeholder and fake.numbers("site_code") == []
    real = extract("<div class='footer'>沪ICP备12004267号 网站标识码:310000000044</div>")
    assert real.numbers("site_code") == ["310000000044"]


def test_a_fan_registry_is_told_by_its_link_to_another_site() -> None:
    notices = extract(
        "<div class='footer'><a href='https://icp.example.moe/1'>兔ICP备20240123号</a> "
        "茶ICP备2025080099号</div>"
    )
    assert notices.icp == ()
    assert {r.why for r in notices.rejected} == {"fan_registry"}


def test_a_footer_script_file_is_read_as_the_markup_its_strings_write() -> None:
    footer_js = (
        "document.writeln(\"<div class='footer'><a href='https://beian.miit.gov.cn'>"
        "<img alt='沪ICP备'></a>\");\n"
        'document.writeln("<span>沪ICP备</span>");\n'
        'document.writeln("<span>11038903号-7</span></div>");\n'
        "var s = '<p>粤公网安备'+\n'  44010402001160号</p>';\n"
    )
    notices = extract_notices(footer_js, URL, today=TODAY)
    assert notices.numbers("icp") == ["沪ICP备11038903号-7"]
    assert notices.icp[0].linked  # the image link beside it, once the glue is gone
    assert notices.numbers("police") == ["粤公网安备44010402001160号"]


def test_commented_out_config_lines_are_not_shown() -> None:
    config = (
        "themeConfig: {\n"
        "  // record: '粤ICP备20036386号-1',\n"
        "  // recordLink: 'http://www.beian.miit.gov.cn/',\n"
        "  cyberSecurityRecord: '川公网安备 51110202000301号',\n"
        "}\n"
    )
    notices = extract_notices(config, URL, today=TODAY)
    assert notices.icp == () and not notices.links_icp_registry
    assert notices.numbers("police") == ["川公网安备51110202000301号"]
    closed = extract_notices("/* footer */ document.write('京ICP备2021029228号');", URL)
    assert closed.numbers("icp") == ["京ICP备2021029228号"]


def test_a_vue_single_file_components_template_is_rendered() -> None:
    component = (
        "<script setup>const icp = ''</script>\n<template><footer>"
        f"<a href='{MPS}22010702000243'>吉公网安备 22010702000243号</a>"
        "</footer></template>"
    )
    notices = extract_notices(component, URL, today=TODAY)
    assert notices.numbers("police") == ["吉公网安备22010702000243号"]
    assert notices.police[0].linked


def test_an_embedded_maps_attribution_is_not_the_sites() -> None:
    notices = extract(
        "<div class='footer'><div class='BMap_cpyCtrl'>© 2017 Baidu - GS(2016)2089号 - "
        "甲测资字1100930 - 京ICP证030173号</div>晋ICP备2021004567号</div>"
    )
    assert notices.numbers("icp_licence") == []
    assert notices.numbers("icp") == ["晋ICP备2021004567号"]
    assert [r.why for r in notices.rejected] == ["map_attribution"]
    # a map site's own approval number beside its own filing number
    tianditu = extract("<div class='footer'>审图号：GS(2024)0650号 京ICP备17063912号-1</div>")
    assert tianditu.numbers("icp") == ["京ICP备17063912号-1"]


def test_layout_classes_on_links_and_a_closing_article_are_not_article_bodies() -> None:
    notices = extract(
        "<div class='copy'>版权所有 <a class='d-flex justify-content-center' "
        f"href='{MPS}51010502010725'>川公网安备 51010502010725号</a> 广审号：第510105020号</div>"
    )
    assert notices.numbers("police") == ["川公网安备51010502010725号"]
    footer_article = extract(
        f"<div><article><p><a href='{MIIT}'>陕ICP备20005710号</a> 网站标识码：6108000013</p>"
        "</article></div>"
    )
    assert footer_article.numbers("icp") == ["陕ICP备20005710号"]
    quoting = extract(
        "<article><p>该网站备案号京ICP备16058363号已注销。</p></article>"
        + FILLER
        + "<div class='footer'>版权所有</div>"
    )
    assert quoting.icp == ()


def test_registry_links_count_for_the_page_without_a_number_in_them() -> None:
    notices = extract(
        "<div class='footer'><a href='http://www.miibeian.gov.cn/'></a> 版权所有 "
        f"<a href='{MPS}14080202000231'><img src='ga.png'></a></div>"
    )
    assert notices.links_icp_registry and notices.links_police_registry
    assert notices.icp == () and notices.police == ()
    # a link around a label, away from the number: the page links the registry
    labelled = extract(
        f"<div class='footer'><a href='{MIIT}'>工信部备案查询</a> | 联系我们 | 网站地图 | "
        "法律声明<p>版权所有 晋ICP备2021004567号</p></div>"
    )
    assert labelled.links_icp_registry and not labelled.icp[0].linked


def test_registry_urls_that_code_makes_links_of() -> None:
    def linked(source: str) -> bool:
        return extract_notices(source, URL, today=TODAY).links_icp_registry

    assert linked('  recordLink: "https://beian.miit.gov.cn/",\n')  # a theme config
    assert linked("[备案](https://beian.miit.gov.cn/)\n")  # Markdown
    assert linked(
        "const href = 'https://beian.miit.gov.cn/'\nreturn <a href={href}>备案</a>\n"
    )  # a variable bound to an href
    assert linked("link.href = 'https://beian.miit.gov.cn/';\n")  # set by a script
    assert not linked(
        "const BEIAN_URL = 'https://beian.miit.gov.cn/'\nwindow.open(BEIAN_URL)\n"
    )  # a click handler's
    assert not linked("onclick: () => { location.href = 'https://beian.miit.gov.cn/' }\n")
    assert not linked("  // recordLink: 'https://beian.miit.gov.cn/',\n")  # commented out
    # A setting named as a link, which the product's template renders as one (a C# seed).
    assert linked('  Icp="京ICP备2021004567号",\n  IcpUrl="https://beian.miit.gov.cn",\n')
    assert not linked("var icpUrl = 'https://beian.miit.gov.cn/'\nwindow.open(icpUrl)\n")


def test_a_markdown_link_links_its_number() -> None:
    notices = extract_notices(
        "Copyright © 2024 [<font size=2>浙ICP备2021036118号</font>](https://beian.miit.gov.cn/)"
        f" [![](/beian.png)浙公网安备33060202000937号]({MPS}33060202000937)\n",
        URL,
        today=TODAY,
    )
    assert notices.icp[0].linked and notices.police[0].linked


def test_link_components_and_bound_hrefs_link_their_numbers() -> None:
    notices = extract(
        "<div class='footer'>"
        f'<Link href="{MIIT}">黑ICP备2023004156号</Link> '
        f'<n-button href="{MIIT}" tag="a" text>吉ICP备18006293号</n-button> '
        f"<a :href=\"'{MIIT}'\">浙ICP备2021036118号</a> "
        f"<a href={{'{MIIT}'}}>京ICP备2021029228号</a></div>"
    )
    assert len(notices.icp) == 4
    assert all(item.linked for item in notices.icp)


def test_a_police_link_elsewhere_links_the_number_its_code_names() -> None:
    notices = extract(
        f"<div class='footer'><a href='{MPS}15010502001204'><img src='guohui.png'></a>"
        "<p>网站标识号：1500000007 蒙ICP备14005124号-2 蒙公网安备：15010502001204</p></div>"
    )
    assert notices.police[0].linked
    assert not notices.icp[0].linked


def test_the_conac_badge_needs_its_link_or_script() -> None:
    image_only = extract(
        "<div class='footer'><img src='https://dcs.conac.cn/image/blue.png' alt='党政机关'></div>"
    )
    assert image_only.conac is None
    markdown = extract_notices(
        "[![](/red.png)](https://bszs.conac.cn/sitename?method=show&id=1)\n", URL, today=TODAY
    )
    assert markdown.conac is not None and markdown.conac.kind == "link"


def test_a_markdown_list_item_is_not_a_comment() -> None:
    notices = extract_notices("* [关于](/about)\n* 京ICP备2021029228号\n", URL, today=TODAY)
    assert notices.numbers("icp") == ["京ICP备2021029228号"]


def test_a_stray_dot_before_the_digits_does_not_hide_the_number() -> None:
    notices = extract("<div class='footer'>网站标识码: bm14000001京ICP备.05002860号</div>")
    assert notices.numbers("icp") == ["京ICP备05002860号"]


def test_a_licence_missing_its_category_digit_is_read_in_the_filing_slot() -> None:
    notices = extract(f"<div class='footer'><a href='{MIIT}'>ICP备案号：粤B-20050235</a></div>")
    [licence] = notices.icp_licence
    assert licence.number == "粤B-20050235"
    assert licence.valid is False and "malformed_category" in licence.reasons
    # Anywhere else "B-2005…" is somebody's part number.
    assert extract("<div class='footer'>型号 粤B-20050235</div>").icp_licence == ()


def test_police_numbers_of_the_local_schemes_before_2016() -> None:
    shown = [
        ("京ICP备05002829号　京公网安备1101080060号", "京公网安备1101080060号"),
        ("网站公安备案号：3418230034 &nbsp;ICP备案：皖ICP备13", "皖公网安备3418230034号"),
        ("北京市公安局海淀分局备案编号：1101081681&nbsp;京ICP证070", "京公网安备1101081681号"),
    ]
    for text, number in shown:
        [police] = extract(f"<div class='footer'>{text}</div>").police
        assert police.number == number, text
        # Shown, but no longer a filing: the site had to file again on the national platform.
        assert not police.valid and "historical_local_form" in police.reasons
        assert not police.placeholder
    # Ten digits that start with no division code are not such a number.
    assert extract("<div class='footer'>网站公安备案号：9918230034</div>").police == ()


def test_a_server_side_comment_hides_what_it_holds() -> None:
    notices = extract(
        "<div class='footer'><%-- 闽ICP备13016306号 旧页脚 --%>闽ICP备2021004567号-1</div>"
    )
    assert notices.numbers("icp") == ["闽ICP备2021004567号-1"]


def test_a_conac_script_on_a_commented_out_line_is_no_badge() -> None:
    script = (
        "<script>// document.write(unescape(\"%3Cspan id=\\'_ideConac\\' %3E%3C/span%3E"
        "%3Cscript src=\\'https://dcs.conac.cn/js/05/000/0000/60429971/CA050000000604299710002.js"
        "\\' type=\\'text/javascript\\'%3E%3C/script%3E\"));\n</script>"
    )
    assert extract(f"<div class='footer'>{script}</div>").conac is None


def test_a_filing_number_written_without_bei_and_hao() -> None:
    notices = extract("<div class='footer'>邮箱：a@fs.gov.cn 辽ICP06018765</div>")
    assert notices.numbers("icp") == ["辽ICP备06018765号"]
    assert extract("<div class='footer'>粤ICP 2023 年度报告</div>").icp == ()


def test_a_licence_shaped_filing_number_after_the_icp_bei_label() -> None:
    notices = extract("<div class='footer'>沪ICP备 B2-20050088-49</div>")
    assert notices.numbers("icp") == ["沪B2-20050088-49"]


def test_a_repeated_motif_is_a_placeholder() -> None:
    notices = extract("<div class='footer'>闽ICP证101010号 闽ICP备121212号</div>")
    assert notices.numbers("icp_licence") == notices.numbers("icp") == []


def test_a_bound_href_that_falls_back_to_the_registry_links_the_page() -> None:
    notices = extract(
        "<div class='footer'><el-link :href=\"gwa.url ? gwa.url : "
        "'https://beian.mps.gov.cn/#/query/webSearch?code=34170202000557'\">"
        "皖公网安备34170202000557号</el-link></div>"
    )
    assert notices.links_police_registry and notices.police[0].linked


def test_a_php_templates_own_strings_are_what_it_echoes() -> None:
    page = (
        "<?php\n$icpInfo = array(\n    '蜀ICP备2025146653号-1',\n"
        "    '川公网安备51011202001113号'\n);\n?>\n<footer class=\"footer\">"
        '<a href="https://beian.miit.gov.cn/"><?php echo $icpInfo[0] ?></a></footer>'
    )
    notices = extract_notices(page, URL, today=TODAY)
    assert notices.numbers("icp") == ["蜀ICP备2025146653号-1"]
    assert notices.numbers("police") == ["川公网安备51011202001113号"]


def test_a_components_props_are_what_it_shows() -> None:
    notices = extract('<template><FooterVue ICP="京ICP备13051651号 - 1"></FooterVue></template>')
    assert notices.numbers("icp") == ["京ICP备13051651号-1"]
    # an ordinary element's attribute is not shown
    assert extract('<div data-icp="京ICP备13051651号-1"></div>').icp == ()


def test_a_content_block_inside_the_footer_is_the_footers_content() -> None:
    notices = extract(
        "<div class='footer'><div class='content'><p>京ICP备05004897号</p></div>"
        "<div class='links'>相关链接<ul>"
        + "<li><a href='http://a.example/'>某某网站</a></li>" * 8
        + "</ul></div></div>"
    )
    assert notices.numbers("icp") == ["京ICP备05004897号"]
    # outside a footer the same block is an article's body
    article = extract(
        "<div class='content'><p>京ICP备05004897号</p></div><div>" + "新闻标题" * 10 + "</div>"
    )
    assert article.icp == ()


def test_older_and_local_police_labels_are_read_with_the_province_of_the_code() -> None:
    notices = extract(
        "<div class='footer'>穗公网监备案证第44010650010167 哈公网监备23010002003717号"
        " 云安备53290102000378号 海淀分局备案 1101084647 公安.赣公网安备/36010202000023号</div>"
    )
    assert notices.numbers("police") == [
        "粤公网安备44010650010167号",
        "黑公网安备23010002003717号",
        "滇公网安备53290102000378号",
        "京公网安备1101084647号",
        "赣公网安备36010202000023号",
    ]
    # 安备 alone is no label: 治安备案 is something else
    assert extract("<div class='footer'>治安备案 4401065001016</div>").police == ()


def test_fewer_than_ten_digits_under_a_police_label_are_no_police_number() -> None:
    notices = extract("<div class='footer'>蜀ICP备-05026980号-1 蜀公网安备 05026980号</div>")
    assert notices.numbers("icp") == ["蜀ICP备05026980号-1"]
    assert notices.numbers("police") == []


def test_template_comments_are_not_shown() -> None:
    jsx = (
        "<footer>\n{/*<a href={'https://beian.miit.gov.cn/'}> 豫ICP备2023004098号-1</a>*/}\n"
        "{/* 豫公网安备 41172702000163号 */}\n<span>© 2024</span></footer>"
    )
    freemarker = "<div class='footer'><#-- <a href='#'>湘ICP备20007640号-1</a> --></div>"
    twig = "<div class='footer'>{# 京ICP备2021005293号 #}</div>"
    for page in (jsx, freemarker, twig):
        notices = extract(page)
        assert notices.icp == notices.police == () and not notices.links_icp_registry


def test_a_footer_script_that_writes_the_conac_script_url_encoded_shows_the_badge() -> None:
    footer_js = (
        "document.writeln(\"<a href=\\'https://beian.miit.gov.cn\\'>鄂ICP备06002096号-1</a>\");\n"
        "document.write(unescape(\"%3Cspan id='_ideConac' %3E%3C/span%3E%3Cscript "
        "src='https://dcs.conac.cn/js/18/272/0000/40586033/CA182720000405860330001.js' "
        "type='text/javascript'%3E%3C/script%3E\"));\n"
    )
    notices = extract_notices(footer_js, URL, today=TODAY)
    assert notices.conac is not None and notices.conac.kind == "script"
    assert notices.numbers("icp") == ["鄂ICP备06002096号-1"] and notices.icp[0].linked


def test_a_conac_script_copied_to_the_sites_own_host_is_not_the_badge() -> None:
    footer_js = (
        "footerHtml += \"<span id='_ideConac'></span>\";\n"
        '//footerHtml +=\'<a href="http://bszs.conac.cn/sitename?method=show&id=2A5E">'
        '<img src="red.png"></a>\'\n'
        'cnzz_s_tag.src = "https://www.example.gov.cn/js/CA100000000604338790002.js";\n'
    )
    assert extract_notices(footer_js, URL, today=TODAY).conac is None


def test_a_badge_image_address_in_a_config_is_not_a_registry_link() -> None:
    config = (
        "beian:\n  enable: true\n  icp: 苏ICP备20005221号-1\n"
        "  gongan_num: 苏公网安备 32111102000194号\n"
        "  gongan_icon_url: http://www.beian.gov.cn/portal/download?token=7ec73880\n"
    )
    notices = extract_notices(config, URL, today=TODAY)
    assert notices.numbers("police") == ["苏公网安备32111102000194号"]
    assert not notices.links_police_registry


def test_a_partner_list_class_on_a_wrapper_of_the_whole_footer_does_not_hide_it() -> None:
    notices = extract(
        "<div class='flink2'><div class='flink'><ul><li><a href='http://a.gov.cn/'>区政府</a></li>"
        "</ul></div><div class='footBlue'>主办：某市人民政府办公室</div>"
        "<div class='fontBot'><span>网站标识码4406000048</span></div></div>"
    )
    assert notices.numbers("site_code") == ["4406000048"]


def test_a_jsx_links_array_shows_its_titles_linked_to_their_hrefs() -> None:
    component = (
        "import { DefaultFooter } from '@ant-design/pro-components';\n"
        'const Footer = () => (\n  <DefaultFooter copyright="Powered by Example"\n'
        "    links={[\n      { key: 'icp', title: '滇ICP备2024035977号-1',\n"
        "        href: 'https://beian.miit.gov.cn/#/Integrated/index', blankTarget: true },\n"
        "    ]}\n  />\n);\n"
    )
    notices = extract_notices(component, URL, today=TODAY)
    assert notices.numbers("icp") == ["滇ICP备2024035977号-1"]
    assert notices.icp[0].linked and notices.links_icp_registry


def test_a_config_link_whose_text_is_empty_or_commented_out_shows_nothing() -> None:
    config = (
        "const footer = {\n"
        '  icp: { val: "苏ICP备19025415号", link: "http://beian.miit.gov.cn/" },\n'
        '  psr: {\n    val: "",//"苏公网安备 32010202000001号",\n'
        '    link: "http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=32010202000001"\n'
        "  }\n}\n"
    )
    notices = extract_notices(config, URL, today=TODAY)
    assert notices.numbers("icp") == ["苏ICP备19025415号"] and notices.links_icp_registry
    assert notices.police == () and not notices.links_police_registry


def test_a_url_that_a_tap_handler_opens_is_not_a_link() -> None:
    widget = (
        "class BeianFooter extends StatelessWidget {\n"
        "  static const String beianNumber = '粤ICP备2026033457号';\n"
        "  static const String beianUrl = 'https://beian.miit.gov.cn/';\n"
        "  Widget build(BuildContext context) => InkWell(\n"
        "    onTap: () => launchUrl(Uri.parse(beianUrl)), child: Text(beianNumber));\n}\n"
    )
    notices = extract_notices(widget, URL, today=TODAY)
    assert notices.numbers("icp") == ["粤ICP备2026033457号"]
    assert not notices.links_icp_registry


def test_a_label_alone_in_its_block_reads_the_number_in_the_next() -> None:
    notices = extract(
        "<div class='footer'><div class='icp'><p>沪ICP备</p><p>B2-20050088-49</p></div>"
        "<table><tr><td>公安备案号：</td><td>31010102000001</td></tr></table></div>"
    )
    assert notices.numbers("icp") == ["沪B2-20050088-49"]
    assert notices.numbers("police") == ["沪公网安备31010102000001号"]


def test_one_licence_label_serves_a_run_of_licences() -> None:
    notices = extract(
        "<div class='footer'>增值电信业务经营许可证：<a href='https://beian.miit.gov.cn/'>"
        "粤B2-20090059</a> <a href='/icp2.shtml'>B2-20090028</a></div>"
    )
    assert notices.numbers("icp_licence") == ["粤B2-20090059", "B2-20090028"]
    # alone, without a label, a cross-region number is not trusted
    assert extract("<div class='footer'>编号 B2-20090028</div>").icp_licence == ()


def test_ten_to_fifteen_digits_after_any_police_label_are_a_malformed_police_number() -> None:
    notices = extract(
        "<div class='footer'>公安局备案编号:44060434553 客服电话: 4008-3822-14"
        " 深公安网监备案号4403101901155</div>"
    )
    assert notices.numbers("police") == ["粤公网安备44060434553号", "粤公网安备4403101901155号"]
    assert not any(p.valid for p in notices.police)


def test_numbers_written_in_english_with_their_province() -> None:
    notices = extract(
        "<div class='footer'>Beijing ICP No. 2026006343 · Shanghai ICP 16012525-1 ·"
        " ICP License No. 15058768 by Jiangsu Communications Administration ·"
        " Business License No.Shanghai B2-20170322 ·"
        " Beijing Public Network Security No. 11011302007815</div>"
    )
    assert notices.numbers("icp") == [
        "京ICP备2026006343号",
        "沪ICP备16012525号-1",
        "苏ICP备15058768号",
    ]
    assert notices.numbers("icp_licence") == ["沪B2-20170322"]
    assert notices.numbers("police") == ["京公网安备11011302007815号"]
    # without a province there is nothing to check it against
    assert extract("<div class='footer'>ICP No. 2026006343</div>").icp == ()


def test_a_made_up_prefix_is_no_filing() -> None:
    notices = extract("<div class='footer'>ICP证：署ICP备18632625422号</div>")
    assert notices.numbers("icp") == [] and notices.icp[0].placeholder


def test_a_component_told_to_render_a_link_is_a_link() -> None:
    notices = extract(
        '<div class="footer"><Button component="a" href="http://beian.miit.gov.cn/">'
        "青ICP备 2023000266号</Button></div>"
    )
    assert notices.icp[0].linked and notices.links_icp_registry
    # an HTML element that is no link does not link, href or not
    assert not extract(
        '<div class="footer"><span href="http://beian.miit.gov.cn/">青ICP备2023000266号</span></div>'
    ).links_icp_registry


def test_a_notice_its_config_turns_off_is_not_shown() -> None:
    config = (
        "footer: {\n  beian: {\n    enable: false,\n    icp: '浙ICP备2021035374号',\n  },\n"
        "  powered: true,\n}\n"
    )
    assert extract_notices(config, URL, today=TODAY).icp == ()
    shown = config.replace("enable: false", "enable: true")
    assert extract_notices(shown, URL, today=TODAY).numbers("icp") == ["浙ICP备2021035374号"]


def test_a_flutter_widgets_url_setting_is_no_link() -> None:
    widget = (
        "class ICPRecordFooter extends StatelessWidget {\n"
        "  const ICPRecordFooter({this.icpNumber = '沪ICP备2025140539号-1',\n"
        "    this.recordUrl = 'https://beian.miit.gov.cn/#/'});\n"
        "  Widget build(BuildContext context) => InkWell(onTap: () => _launchICPUrl());\n}\n"
    )
    notices = extract_notices(widget, URL, today=TODAY)
    assert notices.numbers("icp") == ["沪ICP备2025140539号-1"] and not notices.links_icp_registry


def test_label_variants_seen_on_real_footers() -> None:
    notices = extract(
        "<div class='footer'><p>京IPC备05004897号</p><p>公网安备：京11010502030143号</p>"
        "<p>公安联网备案号：11010802025463</p><p>沪公网安备﹕31010402003255号</p></div>"
    )
    assert notices.numbers("icp") == ["京ICP备05004897号"]
    assert notices.numbers("police") == [
        "京公网安备11010502030143号",
        "京公网安备11010802025463号",
        "沪公网安备31010402003255号",
    ]


def test_an_href_without_a_scheme_is_a_path_on_the_site_not_a_registry_link() -> None:
    for href in ("www.beian.miit.gov.cn", "http//www.beian.miit.gov.cn"):
        notices = extract(f'<div class="footer"><a href="{href}">京ICP备05004897号</a></div>')
        assert not notices.links_icp_registry and not notices.icp[0].linked
    # in a config a bare host names the registry
    config = "footer: {icp: '京ICP备05004897号', icpLink: 'beian.miit.gov.cn'}\n"
    assert extract_notices(config, URL, today=TODAY).links_icp_registry


def test_an_older_local_police_number_keeps_its_digits_across_a_hyphen() -> None:
    notices = extract("<div class='footer'>京ICP备05067669号京公安备110-1081940 视听许可证</div>")
    assert notices.numbers("police") == ["京公网安备1101081940号"]
    # a hyphen that does not make a police number's digits is something else
    assert extract("<div class='footer'>公安备案 4401-12345678</div>").police == ()


def test_mini_program_and_quick_app_service_letters() -> None:
    notices = extract("<div class='footer'>吉ICP备2025035820号-2X 吉ICP备2025035820号-3K</div>")
    assert notices.numbers("icp") == ["吉ICP备2025035820号-2X", "吉ICP备2025035820号-3K"]


def test_an_icp_number_without_any_province_is_not_a_filing() -> None:
    notices = extract(
        '<div class="footer"><a href="https://beian.miit.gov.cn/">ICP备2025024694号</a></div>'
    )
    assert notices.numbers("icp") == [] and notices.icp[0].placeholder
    assert notices.links_icp_registry
    english = extract("<div class='footer'>Guangdong ICP preparation10230565</div>")
    assert english.numbers("icp") == ["粤ICP备10230565号"]


def test_a_jsx_conditional_href_links_to_its_url() -> None:
    component = (
        "export function Footer({ police }) {\n  return (<footer>\n"
        "    <a href={police ? `http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=${police}`"
        ' : "http://www.beian.gov.cn/portal/registerSystemInfo"}>浙公网安备 33052202000779号</a>\n'
        "  </footer>);\n}\n"
    )
    assert extract_notices(component, URL, today=TODAY).links_police_registry


def test_markup_quoted_as_code_in_an_article_is_not_the_pages() -> None:
    notices = extract(
        "<div class='post'><p>Footer of a railway site:</p><pre><code>版权所有 &lt;a "
        "href=&quot;http://www.miibeian.gov.cn/&quot;&gt;京ICP备10009636号&lt;/a&gt;"
        "</code></pre></div>"
    )
    assert notices.icp == () and not notices.links_icp_registry


def test_a_python_docstring_is_documentation_not_a_footer() -> None:
    source = (
        "class Extractor:\n    def count(self):\n        '''\n        sample output:\n"
        "        主办单位：某区人民政府 备案序号：苏ICP备09062975号-1\n        '''\n"
        "        return 1\n"
    )
    assert extract_notices(source, URL, today=TODAY).icp == ()


def test_a_label_alone_in_a_list_item_reads_the_number_in_the_next_item() -> None:
    notices = extract(
        "<div class='footer'><ul><li><p>京ICP证</p></li><li><p>030247号</p></li></ul></div>"
    )
    assert notices.numbers("icp_licence") == ["京ICP证030247号"]


def test_a_yaml_block_that_turns_its_notice_off() -> None:
    notes = (
        "## 页脚设置备案信息\n\n```\n  beian: # 备案的信息\n    enable: false # 展示备案信息\n"
        "    icp: 闽ICP备2022007849号-1\n    gongan_num:\n```\n"
    )
    assert extract_notices(notes, URL, today=TODAY).icp == ()
    shown = notes.replace("enable: false", "enable: true")
    assert extract_notices(shown, URL, today=TODAY).numbers("icp") == ["闽ICP备2022007849号-1"]


def test_a_theme_default_ending_in_a_run_of_one_digit_is_a_placeholder() -> None:
    notices = extract("<div class='footer'>豫ICP备12222222号</div>")
    assert notices.numbers("icp") == [] and notices.icp[0].placeholder


def test_a_settings_row_named_as_a_link_in_a_sql_seed_links_the_page() -> None:
    seed = (
        "INSERT INTO `sys_config` VALUES (10, 'icp_number', '苏ICP备24001089号-1', NULL);\n"
        "INSERT INTO `sys_config` VALUES (11, 'icp_href', 'https://beian.miit.gov.cn/', NULL);\n"
    )
    notices = extract_notices(seed, URL, today=TODAY)
    assert notices.numbers("icp") == ["苏ICP备24001089号-1"] and notices.links_icp_registry
    # a row that only mentions the registry is no link
    other = seed.replace("'icp_href'", "'icp_note'")
    assert not extract_notices(other, URL, today=TODAY).links_icp_registry


def test_a_copyright_lines_cross_region_licence() -> None:
    notices = extract(
        "<div class='footer'>© CopyRight 2005-2014 酷溜网（北京）科技有限公司 B2-20040053</div>"
    )
    assert notices.numbers("icp_licence") == ["B2-20040053"]


def test_a_link_built_from_an_empty_constant_is_not_shown() -> None:
    component = (
        'const POLICE_CODE: string = "" // 留空则整块不渲染\n'
        "export const Footer = () => (<footer>{POLICE_CODE ? (\n"
        "  <a href={`https://beian.mps.gov.cn/#/query/webSearch?code=${POLICE_CODE}`}>"
        "<span>宁公网安备{POLICE_CODE}号</span></a>) : null}</footer>);\n"
    )
    assert not extract_notices(component, URL, today=TODAY).links_police_registry
    filled = component.replace('POLICE_CODE: string = ""', 'POLICE_CODE: string = "64020202000123"')
    assert extract_notices(filled, URL, today=TODAY).links_police_registry


def test_a_link_component_with_a_to_target() -> None:
    notices = extract(
        '<div class="footer"><NuxtLink to="https://beian.miit.gov.cn/" target="_blank">'
        "京ICP备2023006808号-1</NuxtLink></div>"
    )
    assert notices.icp[0].linked and notices.links_icp_registry


def test_a_link_setting_with_an_environment_fallback() -> None:
    config = (
        "const BLOG = {\n  BEI_AN: process.env.NEXT_PUBLIC_BEI_AN || '京ICP备2023006808号-1',\n"
        "  BEI_AN_LINK: process.env.NEXT_PUBLIC_BEI_AN_LINK || 'https://beian.miit.gov.cn/',\n}\n"
    )
    notices = extract_notices(config, URL, today=TODAY)
    assert notices.numbers("icp") == ["京ICP备2023006808号-1"] and notices.links_icp_registry


def test_a_markdown_table_links_the_registry() -> None:
    doc = (
        "# 客户端基础\n\n| 栏目标题 | 键名 | 说明 |\n| --- | --- | --- |\n"
        "| ICP 备案号 | china_icp_filing |"
        " [https://beian.miit.gov.cn](https://beian.miit.gov.cn/) |\n"
    )
    assert extract_notices(doc, URL, today=TODAY).links_icp_registry


def test_markup_shown_as_text_is_quoted_not_the_pages_notice() -> None:
    dump = (
        "<p>[summary] =&gt; &lt;a href=&quot;#&quot; target=&quot;_blank&quot;&gt;"
        "粤ICP备17015679号-2 &lt;/a&gt;<br /></p>"
    )
    assert extract(dump).icp == ()
    # JSX markup inside a prop is markup, not text
    component = (
        "      copyright={\n        <p>2018 某某科技有限公司 版权所有 "
        '<a href="http://www.miitbeian.gov.cn">宁ICP备17001827号-1</a></p>\n      }\n'
    )
    assert extract_notices(component, URL, today=TODAY).numbers("icp") == ["宁ICP备17001827号-1"]


def test_a_site_code_numbering_no_site_and_a_school_identifier_are_no_site_codes() -> None:
    # the last four digits number the site within its body: 0000 is a template's default
    mock = "<footer>政府网站标识码：3705000000</footer>"
    assert [c.placeholder for c in extract(mock).site_code] == [True]
    assert extract(mock).numbers("site_code") == []
    # the Ministry of Education's ten-digit school identifier, under its own label
    assert extract("<p>学校标识码：2143019582</p>").site_code == ()
    assert extract("<p>网站标识码：1408020001</p>").numbers("site_code") == ["1408020001"]


def test_a_province_in_brackets_and_a_label_typed_twice() -> None:
    assert extract("<p>ICP备案： （晋）ICP备07001536</p>").numbers("icp") == ["晋ICP备07001536号"]
    assert extract("<p>晋ICP备ICP备15001663</p>").numbers("icp") == ["晋ICP备15001663号"]


def test_a_serial_of_two_runs_is_a_placeholder() -> None:
    seed = "<p>渝ICP备-111222-1</p>"
    assert extract(seed).numbers("icp") == []
    assert extract("<p>渝ICP备2021111222号-1</p>").numbers("icp") == ["渝ICP备2021111222号-1"]


def test_links_that_fall_back_from_the_environment_or_a_template_setting() -> None:
    constants = 'export const ICP_LINK =\n  process.env.NEXT_PUBLIC_ICP_LINK?.trim() || "https://beian.miit.gov.cn/";\n'
    assert extract_notices(constants, URL, today=TODAY).links_icp_registry
    component = (
        "const base = process.env.NEXT_PUBLIC_BEIAN_URL || 'https://beian.mps.gov.cn/#/query/webSearch'\n"
        "return (<footer>{code && (<a href={`${base}?code=${code}`}>{code}</a>)}</footer>)"
    )
    assert extract_notices(component, URL, today=TODAY).links_police_registry
    ejs = "<a href=\"<%= settings.icp_link || 'https://beian.miit.gov.cn/' %>\"><%= icp %></a>"
    assert extract_notices(ejs, URL, today=TODAY).links_icp_registry


def test_the_cyber_police_label_a_one_for_the_i_and_a_licence_of_two_categories() -> None:
    shop = "<p>网监备案号：4401060103141</p>"
    assert extract(shop).numbers("police") == ["粤公网安备4401060103141号"]  # 13 digits: as shown
    assert extract("<p>鲁1CP备14020449号-1</p>").numbers("icp") == ["鲁ICP备14020449号-1"]
    licence = "<p>增值电信业务经营许可证号：滇B1、B2-20090035</p>"
    assert extract(licence).numbers("icp_licence") == ["滇B1.B2-20090035"]


def test_an_input_placeholder_in_a_jsx_form_is_no_notice() -> None:
    # the arrow function's ">" must not end the tag: the hint stays an attribute
    form = (
        '<div>\n  <label className="block">ICP备案文字</label>\n  <input\n'
        "    value={footer.icp_text}\n"
        "    onChange={(e) => updateFooter('icp_text', e.target.value)}\n"
        '    placeholder="辽ICP备2024042989号-1"\n  />\n</div>'
    )
    assert extract_notices(form, URL, today=TODAY).icp == ()


def test_the_link_of_a_notice_its_yaml_turns_off_is_no_link() -> None:
    config = (
        "beian:\n  icp:\n    enable: {on}\n    text: 鲁ICP备2021036977号-1\n"
        "    url: https://beian.miit.gov.cn/\n"
    )
    assert extract_notices(config.format(on="true"), URL, today=TODAY).links_icp_registry
    assert not extract_notices(config.format(on="false"), URL, today=TODAY).links_icp_registry


def test_an_image_setting_is_told_by_its_words_not_by_letters_inside_them() -> None:
    settings = 'shopIcpNo: "赣ICP证18012754号",\nshopIcpNoUrl: "https://beian.miit.gov.cn/",\n'
    assert extract_notices(settings, URL, today=TODAY).links_icp_registry  # not "pIc" of Icp
    badge = 'gongan_icon_url: "http://www.beian.gov.cn/img/ghs.png",\n'
    assert not extract_notices(badge, URL, today=TODAY).links_police_registry


def test_a_serial_two_digits_longer_than_any_form_is_no_number() -> None:
    assert extract("<p>闽Icp备125678987654号</p>").numbers("icp") == []
    assert extract("<p>豫ICP备01025000148号</p>").numbers("icp") == ["豫ICP备01025000148号"]


def test_a_serial_of_a_year_and_noughts_and_ones_may_be_issued() -> None:
    assert extract("<p>黔ICP备11000001号</p>").numbers("icp") == ["黔ICP备11000001号"]
    assert extract("<p>晋ICP备10000000号-2</p>").numbers("icp") == []  # all noughts
    assert extract("<p>晋ICP备1000001号</p>").numbers("icp") == []  # no year and serial


def test_a_year_and_a_run_is_a_placeholder() -> None:
    assert extract("<p>京ICP备2024012345号-1</p>").numbers("icp") == []
    assert extract("<p>京ICP备2024012346号-1</p>").numbers("icp") == ["京ICP备2024012346号-1"]


def test_only_a_link_to_the_badge_page_is_the_conac_badge() -> None:
    page = '<div class="footer"><a href="http://biaozhi.conac.cn/"><img src="/dzjg.png"></a></div>'
    assert extract_notices(page, URL, today=TODAY).conac is None
    page = (
        '<div class="footer"><a href="https://bszs.conac.cn/sitename?method=show&id=1"></a></div>'
    )
    assert extract_notices(page, URL, today=TODAY).conac is not None


def test_a_partner_heading_written_inline_heads_only_its_own_paragraph() -> None:
    footer = (
        '<div class="pc-footer"><div class="center"><p>友情链接： 卡宝宝信用卡 名鞋库 万表网</p>'
        "<p>京ICP证190075号 京ICP备20051110号-5</p><p>Copyright©2011-2015 版权所有</p>"
        "</div></div>"
    )
    notices = extract(footer)
    assert notices.numbers("icp") == ["京ICP备20051110号-5"]
    assert notices.numbers("icp_licence") == ["京ICP证190075号"]
    listed = (
        '<div class="links"><h3>友情链接</h3><ul><li><a href="http://a.cn/">'
        "某网 京ICP备20051110号-5</a></li></ul></div>"
    )
    assert extract(listed).numbers("icp") == []


def test_an_older_police_serial_of_two_significant_digits_is_no_placeholder() -> None:
    assert extract("<p>京公网安备110102000060-1</p>").numbers("police") == [
        "京公网安备110102000060号-1"
    ]
    assert extract("<p>京公安网备110101000005号</p>").numbers("police") == []


def test_more_than_fifteen_digits_after_a_police_label_are_no_police_number() -> None:
    assert extract("<p>湘公网安备4301900200223245号</p>").police == ()
    assert extract("<p>京公网安备110104734773474323</p>").police == ()


def test_an_invented_police_number_without_a_province_is_a_placeholder() -> None:
    assert extract("<p>路公网备号 2084843827483号</p>").numbers("police") == []


def test_a_licence_with_a_site_index_after_its_hao_is_a_filing_number() -> None:
    notices = extract("<p>闽B2-20050063号-5</p>")
    assert notices.numbers("icp") == ["闽B2-20050063-5"]
    assert notices.numbers("icp_licence") == []


def test_a_site_index_of_four_digits_before_an_app_letter() -> None:
    notices = extract("<p>ICP备案号：鄂B2-20240059-1745A</p>")
    assert notices.numbers("icp") == ["鄂B2-20240059-1745A"]


def test_icp_with_a_number_label_and_no_filing_word() -> None:
    page = "<p>版权所有：山东某公司 鲁ICP号11006098 增值电信业务经营许可证编号：鲁B2-20061055</p>"
    assert extract(page).numbers("icp") == ["鲁ICP备11006098号"]


def test_icp_glued_to_its_digits_across_a_hyphen_or_one_digit_off() -> None:
    assert extract("<p>京ICP-10107173</p>").numbers("icp") == ["京ICP备10107173号"]
    assert extract("<p>鲁ICP701203023</p>").numbers("icp") == ["鲁ICP备701203023号"]
    assert extract("<p>京ICP-2023</p>").numbers("icp") == []


def test_a_cross_region_licence_of_a_foreign_invested_company() -> None:
    assert extract("<p>合字B1.B2-20220041</p>").numbers("icp_licence") == ["B1.B2-20220041"]


def test_a_registry_link_in_a_php_echo() -> None:
    php = (
        '<footer id="footer"><?php _e(\' <a href="https://beian.miit.gov.cn">'
        "蜀ICP备19017545号</a> '); ?>.</footer>"
    )
    assert extract_notices(php, URL, today=TODAY).links_icp_registry


def test_a_registry_url_chosen_by_a_condition_and_used_as_an_href() -> None:
    component = (
        "const GONGAN_URL = GONGAN_DATACODE\n"
        "  ? `https://beian.mps.gov.cn/#/query/webSearch?code=${GONGAN_DATACODE}`\n"
        '  : "";\n'
        "export function Beian() {\n"
        "  return (<footer>{GONGAN_URL && (<a href={GONGAN_URL}>公安备案</a>)}</footer>)\n}"
    )
    assert extract_notices(component, URL, today=TODAY).links_police_registry


def test_a_link_stored_as_escaped_markup_is_text() -> None:
    seed = (
        "(44, 'site_icp', '', '请填写ICP备案号，ICP备案官网：&lt;a href=&quot;http://www.miibeian.gov.cn"
        "&quot; target=&quot;_blank&quot;&gt;http://www.miibeian.gov.cn&lt;/a&gt;', 5),"
    )
    assert not extract_notices(seed, URL, today=TODAY).links_icp_registry


def test_a_footer_quoted_in_an_english_sentence_is_not_the_pages() -> None:
    note = (
        '<p>The site footer states only, quoted: plus\n  "网站标识码：bm63000001 '
        '京ICP备05081655号 京公网安备11040102100142号".</p>'
    )
    notices = extract(note)
    assert notices.numbers("site_code") == notices.numbers("icp") == []
    assert extract('<p>Record: "京ICP备05081655号"</p>').numbers("icp") == ["京ICP备05081655号"]


# Round 11 of the real-world corpus (tests/data/real-footers/README.md).


def test_numbers_written_in_pinyin_with_their_province() -> None:
    notices = extract(
        "<footer><p>Yue ICP B No. 20016192-1</p><p>E ICP Bei 20002031-3</p>"
        "<p><a>E Gongwang Anbei 42011202001821</a></p><p>Liao ICP Filing No. 2025067927-1</p>"
        "</footer>"
    )
    assert notices.numbers("icp") == [
        "粤ICP备20016192号-1", "鄂ICP备20002031号-3", "辽ICP备2025067927号-1",
    ]  # fmt: skip
    assert notices.numbers("police") == ["鄂公网安备42011202001821号"]
    # Jin is 津 or 晋: no one province, no number; nor is a word ending in a pinyin.
    assert extract("<p>Jin ICP No. 12345679</p><p>THE ICP No. 20016192</p>").numbers("icp") == []


def test_a_year_and_nothing_after_it_is_a_placeholder() -> None:
    page = "<p>黑ICP备0500000</p><p>粤ICP备20250000号</p><p>粤ICP备 2124123456号</p>"
    assert extract(page).numbers("icp") == []
    assert extract("<p>粤ICP备20250012号</p>").numbers("icp") == ["粤ICP备20250012号"]


def test_numbers_a_test_asserts_are_not_the_pages() -> None:
    spec = (
        "<p>it('shows the record', () => {\n  const wrapper = mountFooter({ icpNumber: "
        "'浙ICP备2026000001号' })\n  expect(wrapper.text()).toBe('浙ICP备2026000001号')\n})\n"
        "assert.match(publicHTML, /陇ICP备2026009447号/);</p>"
    )
    assert extract(spec).numbers("icp") == []
    # a bundle's own assert( next to the footer it writes is no test
    bundle = (
        "<script>function assert(c){if(!c)throw Error()};assert(n);"
        "document.write('<footer>版权所有 晋ICP备2026000970号-1</footer>')</script>"
    )
    assert extract(bundle).numbers("icp") == ["晋ICP备2026000970号-1"]


def test_older_police_labels_of_an_organ_or_a_city() -> None:
    page = "<p>广西网警备案号：45010302000046</p><p>冀ICP备05007415号 保公备130603100019号</p>"
    assert extract(page).numbers("police") == [
        "桂公网安备45010302000046号", "冀公网安备130603100019号",
    ]  # fmt: skip


def test_a_filing_number_whose_characters_a_wrong_decoding_lost() -> None:
    page = "<p>著作权人：芜湖某某公司&nbsp;皖ICP\ufffd?16013764\ufffd?-3&nbsp;</p>"
    assert extract(page).numbers("icp") == ["皖ICP备16013764号-3"]


def test_a_variable_renders_the_constant_the_page_defines() -> None:
    component = (
        'const publicSecurityRecordCode = "36110302000181";\n'
        "const policeRecordCode = '33019202003146'\n"
        "const policeRecordText = `浙公网安备${policeRecordCode}号`\n"
        "export function Footer() {\n  return (<footer><span>赣公网安备 "
        "{publicSecurityRecordCode} 号</span><span>{policeRecordText}</span></footer>)\n}"
    )
    assert sorted(extract(component).numbers("police")) == [
        "浙公网安备33019202003146号", "赣公网安备36110302000181号",
    ]  # fmt: skip
    # undefined, it stays a template variable: shown unrendered, no number
    assert extract("<footer>赣公网安备 {policeCode} 号</footer>").numbers("police") == []


def test_an_anchor_written_inside_a_components_text() -> None:
    control = (
        '<asp:Label ID="CopyRight" runat="server" Text="&copy;2012. All Rights Reserved. '
        "<a href='http://www.miibeian.gov.cn' target='_blank'>沪ICP备12039679号</a>\"></asp:Label>"
    )
    notices = extract_notices(control, URL, today=TODAY)
    assert notices.numbers("icp") == ["沪ICP备12039679号"]
    assert notices.links_icp_registry


def test_a_data_list_of_other_sites_and_their_numbers() -> None:
    data = (
        "<p>const OFFICIAL_SITES = [\n"
        '  { name: "淘宝网", url: "https://www.taobao.com", icp: "浙B2-20120091-1" },\n'
        '  { name: "唯品会", url: "https://www.vip.com", icp: "粤B2-20120466" },\n'
        '  { name: "得物", url: "https://www.dewu.com", icp: "沪ICP备16005437号" },\n]</p>'
    )
    notices = extract(data)
    assert notices.numbers("icp") == notices.numbers("icp_licence") == []
    dump = (
        "<pre>[Unit]: 某某技术有限公司 [icpCode]: 粤A2-20044005号-43 [Domain]: www.hiclc.com\n"
        "[Unit]: 某某技术有限公司 [icpCode]: 粤A2-20044005号-77 [Domain]: www.myhwcdn.cn</pre>"
    )
    assert extract(dump).numbers("icp") == []
    # one record, the site's own: its number
    own = (
        '<p>export const site = { name: "我的博客", url: "https://www.example.gov.cn", '
        'icp: "京ICP备16005437号" }</p>'
    )
    assert extract(own).numbers("icp") == ["京ICP备16005437号"]


def test_labels_written_one_character_per_element() -> None:
    page = (
        "<footer><div><div><span>网</span><span>站</span><span>标</span><span>识</span>"
        "<span>码</span></div><div>：</div><div>bm64220001</div></div>\n"
        "<div><div><span>公</span><span>安</span><span>备</span><span>案</span><span>号</span>"
        "</div><div>：</div><div>川公网安备 51019002002912号</div></div></footer>"
    )
    notices = extract(page)
    assert notices.numbers("site_code") == ["bm64220001"]
    assert notices.numbers("police") == ["川公网安备51019002002912号"]
    # in a component's template too
    template = f"<template><div class='footer'>{page}</div></template>"
    assert extract_notices(template, URL, today=TODAY).numbers("site_code") == ["bm64220001"]


# Round 12 of the real-world corpus.


def test_an_apps_handlers_open_the_registry_they_do_not_link_it() -> None:
    swift = (
        '<p>Button(action: {\n  guard let url = URL(string: "https://beian.miit.gov.cn") '
        'else { return }\n  UIApplication.shared.open(url)\n}) { Text("津ICP备2024023421号-3A") }'
        "</p>"
    )
    mini_program = (
        "<p>Page({ data: { beian: '闽ICP备2023013432号-5A' },\n  miit() { wx.showModal({ "
        "success() { wx.miniapp.openUrl({ url: 'https://beian.miit.gov.cn' }) } }) } })</p>"
    )
    for code in (swift, mini_program):
        notices = extract(code)
        assert notices.numbers("icp") and not notices.links_icp_registry
    link_view = '<p>some View { Link(destination: URL(string: "https://beian.miit.gov.cn")!) {'
    assert extract(link_view + ' Text("津ICP备2024023421号-3A") } }</p>').links_icp_registry


def test_markdown_links_in_code_in_angle_brackets_and_with_backslashes() -> None:
    in_code = "<p>支持超链接（如 `[京ICP备12345678号](https://beian.miit.gov.cn)`）。</p>"
    assert not extract(in_code).links_icp_registry
    backslashes = "<p>- [沪ICP备18047220号](https:\\beian.miit.gov.cn)</p>"
    assert extract(backslashes).links_icp_registry


def test_more_placeholders_and_labels() -> None:
    # a five-digit run; a police serial that is a run after its code and type
    assert extract("<p>京ICP备12345号</p>").numbers("icp") == []
    assert extract("<p>沪公网安备31011502012345号</p>").numbers("police") == []
    # a police label cut short after the province; a site code glued to the next label
    page = "<p>浙ICP备11052366号-8 浙公网 33010602002490号</p>"
    assert extract(page).numbers("police") == ["浙公网安备33010602002490号"]
    page = "<footer>网站标识码： bm12000003ICP备案号：京ICP备13012430号</footer>"
    assert extract(page).numbers("site_code") == ["bm12000003"]


def test_another_pages_footer_quoted_piece_by_piece() -> None:
    note = (
        "<table><tr><td>发布者</td><td>国家税务总局；页脚原文「主办单位：国家税务总局 版权所有："
        "国家税务总局」「网站标识码：bm29000002 京ICP备13021685号-2」</td></tr></table>"
    )
    notices = extract(note)
    assert notices.numbers("site_code") == notices.numbers("icp") == []


# Round 13.


def test_a_link_in_a_compiled_templates_attribute_pairs() -> None:
    bundle = (
        '<script>Ni(1,0,null,null,1,"a",[["href","http://www.beian.miit.gov.cn/"],'
        '["target","_blank"]],null),qi(-1,null,["\\u7ca4ICP\\u590716052285\\u53f7"])</script>'
    )
    notices = extract(bundle)
    assert notices.links_icp_registry


# Round 14.


def test_a_number_ends_at_a_line_break() -> None:
    # a WAP footer printed by a JSP: the next line starts with the site's name, 361软件站
    page = '<p>out.print("苏ICP备10088131<br/>361软件站:361rj.com <br/>");</p>'
    assert extract(page).numbers("icp") == ["苏ICP备10088131号"]
    assert extract("<p>京ICP备 1101 0802 号</p>").numbers("icp") == ["京ICP备11010802号"]


def test_a_licence_label_that_ends_with_the_province() -> None:
    page = "<footer>增值电信业务经营许可证粤: <a href='/about'>B2-20030314</a></footer>"
    assert extract(page).numbers("icp_licence") == ["粤B2-20030314"]


def test_markup_on_a_commented_out_line_of_a_config_shows_nothing() -> None:
    # Butterfly's _config.yml: the value after "custom_text:" is a YAML comment
    config = (
        "footer:\n  owner:\n    enable: true\n"
        f'  custom_text: # <a href="{MIIT}"><span>备案号：鄂ICP备2021013070号</span></a>\n'
        "  copyright: true # Copyright of theme and framework\n"
    )
    notices = extract_notices(config, URL, today=TODAY)
    assert notices.numbers("icp") == [] and not notices.links_icp_registry
    shown = config.replace("custom_text: # ", "custom_text: ")
    notices = extract_notices(shown, URL, today=TODAY)
    assert notices.numbers("icp") == ["鄂ICP备2021013070号"] and notices.links_icp_registry
    # a saved page kept in a scraper, every line commented out: no number, link or badge
    saved = (
        "# <div id='footer'>主办：某区人民政府<br>\n"
        f"# <a href='{MPS}14010702070019'><p>晋公网安备 14010702070019号</p></a>\n"
        "# <span>晋ICP备07002709号-1</span><br>\n"
        "# <script src='http://dcs.conac.cn/js/06/113/0187/60682781/CA0611301876068278.js'>"
        "</script>\n# </div>\n"
    )
    notices = extract_notices(saved, URL, today=TODAY)
    assert notices.numbers("icp") == notices.numbers("police") == []
    assert not notices.links_police_registry and notices.conac is None
    uncommented = saved.replace("# ", "")
    notices = extract_notices(uncommented, URL, today=TODAY)
    assert notices.numbers("icp") == ["晋ICP备07002709号-1"] and notices.conac is not None


# Round 15.


def test_wangbei_alone_before_the_fourteen_digits_of_a_police_number() -> None:
    page = "<p>Copyright 2014 All Rights Reserved. 赣B2-20050168号/网备36011002000011号</p>"
    notices = extract(page)
    assert notices.numbers("police") == ["赣公网安备36011002000011号"]
    assert notices.numbers("icp_licence") == ["赣B2-20050168"]
    assert extract("<p>联网备案 36011002000011</p>").numbers("police") == []


def test_a_notice_rendered_from_a_map_left_empty_is_not_shown() -> None:
    # a component's source, as a footer.jsx is read
    component = """import { ShieldCheck } from 'lucide-react';
const PUBLIC_SECURITY_RECORDS: Record<
  string,
  { number: string; queryCode: string }
> = {};
const record = PUBLIC_SECURITY_RECORDS[window.location.hostname];
export default () => <footer>
  {record && (<a href={`https://beian.mps.gov.cn/#/query/webSearch?code=${record.queryCode}`}>
    京公网安备 {record.number}号</a>)}
</footer>;
"""
    notices = extract_notices(component, URL, today=TODAY)
    assert notices.numbers("police") == [] and not notices.links_police_registry
    filled = component.replace("> = {};", "> = {'a.cn': {number: '11010802020134', queryCode: 1}};")
    assert extract_notices(filled, URL, today=TODAY).links_police_registry


# Round 16.


def test_a_label_ending_in_wei_before_a_colon_is_the_pages_own() -> None:
    own = (
        "<table><tr><td>技术支持：某某所<br/>备案/许可证编号为：京ICP备09056845号</td></tr></table>"
    )
    assert extract(own).numbers("icp") == ["京ICP备09056845号"]
    quoted = "<p>经查，该网站备案号为京ICP备09056845号，但其主办单位不符。</p>"
    assert extract(quoted).numbers("icp") == []


def test_a_bar_between_province_and_label_and_a_police_site_index_in_brackets() -> None:
    page = "<p>京｜ICP备11020872号－17　京公网安备110102000666(2)</p>"
    notices = extract(page)
    assert notices.numbers("icp") == ["京ICP备11020872号-17"]
    assert notices.numbers("police") == ["京公网安备110102000666号-2"]


def test_a_lua_or_sql_comment_line_shows_nothing() -> None:
    config = 'site.title = "游戏人生"\n-- config.beian = "京ICP备20010499号-1"\n'
    assert extract_notices(config, URL, today=TODAY).numbers("icp") == []
    shown = config.replace("-- config", "config")
    assert extract_notices(shown, URL, today=TODAY).numbers("icp") == ["京ICP备20010499号-1"]


# Round 17.


def test_a_saved_page_a_tests_raw_string_holds_is_no_notice() -> None:
    page = (
        '    val html = """\n<html><body><div class="foot">( <a href="http://beian.miit.gov.cn/">'
        "粤ICP备17068105号</a> )</div>\n" + "<p>返回顶部</p>\n" * 40 + "</body></html>\n"
        '    """.trimIndent()\n    val nickname = Ksoup.parse(html).title()\n'
        '    assertEquals("星鸢", nickname)\n}\n'
    )
    notices = extract_notices(page, URL, today=TODAY)
    assert notices.numbers("icp") == [] and not notices.links_icp_registry
    served = page.split('    """.trimIndent()')[0].split('"""\n', 1)[1]
    assert extract_notices(served, URL, today=TODAY).numbers("icp") == ["粤ICP备17068105号"]


# Round 18.


def test_an_editors_class_on_a_line_of_a_marked_footer_is_the_footer() -> None:
    line = (
        '<div class=TRS_Editor>巴彦淖尔市人民政府办公室（主办）<a href="https://beian.miit.gov.cn/">'
        "蒙ICP备 05006530</a> 政府网站标识码：1508000002</div>"
    )
    footer = f'<div class="bm_footer"><div class="bm_content_one">{line}</div></div>'
    notices = extract(f"<div>正文</div>{footer}")
    assert notices.numbers("icp") == ["蒙ICP备05006530号"]
    assert notices.numbers("site_code") == ["1508000002"]
    # the same class on an article's body, long as articles are, is the article's
    article = f"<div class=TRS_Editor>{'文章正文。' * 60}引用：京ICP备05006530号</div>"
    assert extract(f'{article}<div class="footer">版权所有</div>').numbers("icp") == []


def test_a_components_slot_template_is_rendered() -> None:
    component = (
        "<template>\n  <ParentLayout>\n    <template #page-bottom>\n"
        '      <div class="page-footer"><a href="https://beian.miit.gov.cn/">浙ICP备20001796号-1</a>'
        "</div>\n    </template>\n  </ParentLayout>\n</template>\n"
    )
    notices = extract_notices(component, URL, today=TODAY)
    assert notices.numbers("icp") == ["浙ICP备20001796号-1"] and notices.links_icp_registry


def test_a_registry_url_in_a_tests_fixture_links_nothing() -> None:
    fixture = (
        "it('renders the filings', () => {\n  const markup = render({ filings: [\n"
        "    { label: 'ICP', value: '', href: 'https://beian.miit.gov.cn/' },\n  ] })\n"
        "  expect(markup).toContain('ICP')\n})\n"
    )
    assert not extract_notices(fixture, URL, today=TODAY).links_icp_registry
    config = (
        "const footer = { label: 'ICP', value: '沪ICP备15008913号',"
        " href: 'https://beian.miit.gov.cn/' }\n"
    )
    assert extract_notices(config, URL, today=TODAY).links_icp_registry


def test_a_whole_page_in_a_tests_or_scrapers_strings_is_no_notice() -> None:
    held = (
        '"<div id=\\"footer\\"><p>主办单位：广州市工商局 [粤ICP备030863号]</p></div>\\r\\n" +\n'
        '"</body>\\r\\n" +\n"</html>\\r\\n";\n'
    )
    scraper = f'String page = "<html>\\r\\n" +\n{held}Selector selector = new Selector(page);\n'
    assert extract_notices(scraper, URL, today=TODAY).numbers("icp") == []
    # a server's code that writes the page shows it
    servlet = f'out.println("<html>\\r\\n" +\n{held.rstrip().rstrip(";")});\n'
    assert extract_notices(servlet, URL, today=TODAY).numbers("icp") == ["粤ICP备030863号"]


def test_another_pages_text_a_search_index_keeps_is_no_notice() -> None:
    record = (
        '{"doc_id": 93358, "title": "盛帮股份：目前公司与小米无合作关系",\n'
        ' "snippet": "每日经济新闻 蜀ICP备19004508号-3\\n川公网安备 51019002002026号",\n'
        ' "source": "web_finance_news_db"}\n'
    )
    notices = extract_notices(record, URL, today=TODAY)
    assert notices.numbers("icp") == [] and notices.numbers("police") == []
    config = '{"site": "每日经济新闻", "icp": "蜀ICP备19004508号-3"}\n'
    assert extract_notices(config, URL, today=TODAY).numbers("icp") == ["蜀ICP备19004508号-3"]


def test_a_filing_record_a_registry_shows_is_anothers_site() -> None:
    record = (
        "<table><tr><td>开办者名称</td><td>北京盘石信息技术有限公司</td></tr>"
        "<tr><td>公安备案号</td><td>11010702001519</td></tr>"
        "<tr><td>备案地公安机关</td><td>北京市石景山驻区大队</td></tr></table>"
    )
    own = '<div class="footer"><a href="http://www.beian.gov.cn/">京公网安备 11010102002019号</a>'
    own += "</div>"
    notices = extract(record + own)
    assert notices.numbers("police") == ["京公网安备11010102002019号"]
    # a footer laid out as a table is the footer
    table = "<table><tr><td>主办单位：某某局</td><td>公安备案号 11010102002019</td></tr></table>"
    assert extract(f'<div class="footer">{table}</div>').numbers("police") == [
        "京公网安备11010102002019号"
    ]


# Round 19.


def test_english_notices_with_dashes_and_the_licence_in_english() -> None:
    footer = (
        "Xiaomi Inc., All rights reserved - Beijing ICP - 10046444 - "
        f'<a href="{MPS}11010802020134">Beijing Public Security ICP-11010802020134</a>'
        " - Beijing ICP licence No. - 110507"
    )
    notices = extract(f'<div class="footer">{footer}</div>')
    assert notices.numbers("icp") == ["京ICP备10046444号"]
    assert notices.numbers("icp_licence") == ["京ICP证110507号"]
    assert notices.numbers("police") == ["京公网安备11010802020134号"]
    # without a province named, an English number says nothing checkable
    assert extract('<div class="footer">ICP licence No. 110507</div>').numbers("icp_licence") == []


def test_pinyin_in_capitals_a_short_serial_and_hao_before_the_site_index() -> None:
    capitals = extract('<div class="footer">COPYRIGHT 2013 LAISON. ZHE ICP1202424-1</div>')
    assert capitals.numbers("icp") == ["浙ICP备1202424号-1"]  # seven digits, as shown
    config = "export default { icp: 'Zhe ICP Bei 2022033471 Hao-2' }\n"
    assert extract_notices(config, URL, today=TODAY).numbers("icp") == ["浙ICP备2022033471号-2"]


def test_a_citys_name_before_an_older_police_label_is_no_province() -> None:
    notices = extract('<div class="footer">桂ICP备05001920号 南宁网警备4501200373号</div>')
    assert notices.numbers("police") == ["桂公网安备4501200373号"]  # 45: the number's own
    # a province abbreviation before the standard label stays, even where it contradicts
    assert extract('<div class="footer">版权所有宁公网安备45010202000373号</div>').numbers(
        "police"
    ) == ["宁公网安备45010202000373号"]


def test_a_number_in_the_tooltip_of_a_bare_label_is_shown() -> None:
    dock = (
        '<div className="os-dock">{/* 备案信息 */}'
        '<div className="os-dock-icp" title="渝ICP备2026004291号-2">ICP</div></div>'
    )
    assert extract_notices(dock, URL, today=TODAY).numbers("icp") == ["渝ICP备2026004291号-2"]
    # a tooltip on text that is no label is a title, not a notice
    other = '<div class="footer"><span title="渝ICP备2026004291号-2">关于我们</span></div>'
    assert extract(other).numbers("icp") == []


def test_a_four_digit_year_and_four_of_one_digit_is_a_stand_in() -> None:
    for number in ("浙ICP备20268888号", "京ICP备20088888号"):
        assert extract(f'<div class="footer">{number}</div>').numbers("icp") == []
    # a two-digit year and a serial that ends in a run is a real form (FILING-RULES)
    assert extract('<div class="footer">京ICP备08088888号</div>').numbers("icp") == [
        "京ICP备08088888号"
    ]


def test_a_page_a_program_reads_with_regular_expressions_is_no_notice() -> None:
    program = (
        'String html = "<p><a href=http://www.miibeian.gov.cn>京ICP证030173号</a></p>'
        '</body></html><!--543ff9-->";\n'
        'Pattern p = Pattern.compile("href=(.*?)>");\nMatcher m = p.matcher(html);\n'
    )
    notices = extract_notices(program, URL, today=TODAY)
    assert notices.numbers("icp_licence") == [] and not notices.links_icp_registry


# Round 20.


def test_a_blade_comment_shows_nothing() -> None:
    page = (
        '<div class="footer">{{--<p>Copyright 深圳易可达科技有限公司 粤ICP备16045411号-1</p>--}}'
        "</div>"
    )
    assert extract(page).numbers("icp") == []
    shown = page.replace("{{--", "").replace("--}}", "")
    assert extract(shown).numbers("icp") == ["粤ICP备16045411号-1"]


def test_a_saved_page_in_a_python_string_a_scraper_parses_is_no_notice() -> None:
    scraper = (
        "text = '''<li><a href=\"contact_us.jsp\">联系我们</a></li>\n"
        '<div class="foot">沪ICP备14003370号 <a href="http://www.beian.gov.cn/">'
        "沪公网安备 31010602000299号</a></div>\n</body>\n</html>\n\n'''\n\n"
        "soup = BeautifulSoup(text, 'lxml')\nprint(soup.select('.news_content'))\n"
    )
    notices = extract_notices(scraper, URL, today=TODAY)
    assert notices.numbers("icp") == [] and notices.numbers("police") == []
    assert not notices.links_police_registry


def test_a_jsx_fragment_that_opens_with_a_link_component_is_read() -> None:
    fragment = (
        '       <Link to="https://weibo.com/xinbailu" className="follow">\n'
        "           <Icon type=\"weibo\" style={{padding: '0 0.2em'}}/>\n       </Link>\n"
        "       <section style={{textAlign: 'right'}}>\n"
        "           版权所有 杭州新白鹿餐饮管理有限公司 浙ICP备12045845号\n       </section>\n"
    )
    assert extract_notices(fragment, URL, today=TODAY).numbers("icp") == ["浙ICP备12045845号"]


def test_numbers_linked_to_their_certificates_on_a_cdn_are_the_sites_own() -> None:
    footer = (
        '<div class="footer"><a href="http://a.msstatic.com/img/icp.jpg">增值电信业务经营许可证'
        ' 粤B2-20170312</a> <a href="http://www.miitbeian.gov.cn">粤ICP备16120983号-1</a> '
        '<a href="http://assets.dwstatic.com/docs/4401060100548.jpg">'
        "穗公网监备案证第4401060100548号</a></div>"
    )
    notices = extract(footer)
    assert notices.numbers("icp_licence") == ["粤B2-20170312"]
    assert notices.numbers("police") == ["粤公网安备4401060100548号"]
    # numbers each linked to another site's homepage are a list of those sites
    others = (
        '<div class="footer"><a href="http://www.a-company.cn/">粤B2-20170312</a> '
        '<a href="http://www.b-company.cn/">京B2-20180101</a></div>'
    )
    assert extract(others).numbers("icp_licence") == []


# Round 21.


def test_a_php_setting_with_a_registry_fallback_links_the_registry() -> None:
    template = (
        "<div class=\"beian-wrap\"><?php if($icp = opt('icp')): ?>"
        '<a class="beian-link"'
        " href=\"<?php echo opt('icp_link','https://beian.miit.gov.cn/'); ?>\">"
        "<?php echo htmlspecialchars($icp); ?></a><?php endif; ?></div>"
    )
    assert extract_notices(template, URL, today=TODAY).links_icp_registry
    bare = template.replace(",'https://beian.miit.gov.cn/'", "")
    assert not extract_notices(bare, URL, today=TODAY).links_icp_registry
