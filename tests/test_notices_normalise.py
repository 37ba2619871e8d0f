"""Text and link normalisation (audit.notices.normalise)."""

from __future__ import annotations

import pytest

from audit.notices.normalise import classify_link, clean, clean_map, compact, squeeze


@pytest.mark.parametrize(
    ("shown", "cleaned"),
    [
        ("晋ＩＣＰ备２０２１００４５６７号－１", "晋ICP备2021004567号-1"),  # full-width forms
        ("晋ICP備2021004567號", "晋ICP备2021004567号"),  # traditional
        ("晉公網安備14080202000231號", "晋公网安备14080202000231号"),
        ("2021\u200b004567\ufeff", "2021004567"),  # zero-width characters vanish
        ("号\u20141", "号-1"),  # em dash as site-index hyphen
        ("晋ICP备\u00a02021004567\u3000号", "晋ICP备 2021004567 号"),  # nbsp, ideographic space
        ('href=\\"x\\"\\n京', 'href="x" 京'),  # footer kept in a JS/PHP string
    ],
)
def test_clean_folds_what_pages_do_to_numbers(shown: str, cleaned: str) -> None:
    assert clean(shown) == cleaned


def test_squeeze_and_compact() -> None:
    assert squeeze("京 ICP 证 040089\n                号-1") == "京 ICP 证 040089 号-1"
    assert compact(" 2021 004567 ") == "2021004567"


@pytest.mark.parametrize(
    "text",
    [
        "晋ＩＣＰ备　２０２１\u200b００４５６７号",
        'a\\nb  \\"c\\"\u00a0d',
        "",
        "  x  ",
        "備案號：\n\n 1",
    ],
)
def test_clean_map_agrees_with_squeeze_clean(text: str) -> None:
    cleaned, where = clean_map(text)
    assert cleaned == squeeze(clean(text))
    assert len(where) == len(cleaned)
    # Each output character comes from its mapped input character.
    for out_char, index in zip(cleaned, where, strict=True):
        assert clean(text[index]) in (out_char, "\\") or text[index].isspace()


@pytest.mark.parametrize(
    ("href", "registry", "outdated"),
    [
        ("https://beian.miit.gov.cn/", "miit", False),
        ("http://www.beian.miit.gov.cn/#/Integrated/index", "miit", False),
        ("//beian.miit.gov.cn", "miit", False),
        ("beian.miit.gov.cn/", "miit", False),
        ("http://www.miitbeian.gov.cn/publish/query/indexFirst.action", "miit", True),
        ("http://www.miibeian.gov.cn/", "miit", True),
        (
            "http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=14080202000231",
            "mps",
            False,
        ),
        ("https://beian.mps.gov.cn/#/query/webSearch?code=14080202000231", "mps", False),
        ("https://tsm.miit.gov.cn/dxxzsp/", "miit_licence", False),
        ("\\'http://beian.miit.gov.cn/\\'", "miit", False),  # parsed from a JS string
        ("/about/", None, False),
    ],
)
def test_classify_link(href: str, registry: str | None, outdated: bool) -> None:
    link = classify_link(href, "www.example.gov.cn")
    assert link is not None
    assert (link.registry, link.outdated) == (registry, outdated)


@pytest.mark.parametrize("href", ["", "#", "#top", "javascript:void(0)", "JavaScript:;", None])
def test_dead_links_are_not_links(href: str | None) -> None:
    assert classify_link(href) is None


def test_police_link_code() -> None:
    old = classify_link(
        "http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=14080202000231"
    )
    new = classify_link("https://beian.mps.gov.cn/#/query/webSearch?code=14080202000231")
    assert old is not None and new is not None
    assert old.code == new.code == "14080202000231"
