"""How well a homepage was read without a browser, and the footers it pulls in."""

from __future__ import annotations

import pytest

from audit.notices import parse_html
from audit.page.reading import Include, Signal, examine, reading_of

URL = "http://www.jyj.yuncheng.gov.cn/"
HOST = "www.jyj.yuncheng.gov.cn"


def look(body: str, head: str = "") -> tuple[list[Include], list[Signal]]:
    doc = parse_html(f"<html><head>{head}</head><body>{body}</body></html>")
    assert doc is not None
    found = examine(doc, URL, HOST)
    return list(found.includes), list(found.signals)


NEWS = "<div class='news'>" + "全市召开安全生产工作会议，部署近期重点工作。" * 4 + "</div>"


def test_a_plain_page_depends_on_nothing() -> None:
    assert look(NEWS + "<div class='footer'>版权所有 运城市教育局</div>") == ([], [])


def test_a_frameset_reads_its_frames() -> None:
    doc = parse_html(
        "<html><frameset rows='80,*,60'><frame src='top.html'><frame src='/main.htm'>"
        "<frame src='foot.html'></frameset></html>"
    )
    assert doc is not None
    found = examine(doc, URL, HOST)
    assert [i.url for i in found.includes] == [
        URL + "top.html",
        URL + "main.htm",
        URL + "foot.html",
    ]
    assert {i.kind for i in found.includes} == {"frame"}
    [frames] = found.signals
    assert frames.name == "frames" and len(frames.needs) == 3


def test_a_frame_of_another_site_cannot_be_read() -> None:
    doc = parse_html(
        "<html><frameset><frame src='http://cms.example.com/site/1'></frameset></html>"
    )
    assert doc is not None
    found = examine(doc, URL, HOST)
    assert found.includes == ()
    assert found.signals == (Signal("frames", ()),)  # only a browser could tell


def test_an_iframe_footer_is_followed_and_an_outside_map_is_not() -> None:
    includes, signals = look(
        NEWS + "<iframe src='https://map.baidu.com/x'></iframe>"
        "<div id='foot'><iframe src='/inc/copyright.html' frameborder=0></iframe></div>"
    )
    assert includes == [Include(URL + "inc/copyright.html", "iframe")]
    assert signals == [Signal("frames", (URL + "inc/copyright.html",))]


def test_a_footer_script_file_is_followed() -> None:
    includes, signals = look(NEWS + "<script src='/js/footer.js'></script>")
    assert includes == [Include(URL + "js/footer.js", "script")]
    assert signals == [Signal("footer_script", (URL + "js/footer.js",))]
    # Libraries are not footers.
    assert look(NEWS + "<script src='/js/jquery.min.js'></script>") == ([], [])


@pytest.mark.parametrize(
    "script",
    [
        '$("#footer").load("/inc/bottom.html");',
        "$(function(){ $('.ft').load('/include/a.shtml'); });",
        'fetch("/inc/footer.html").then(r => r.text()).then(t => box.innerHTML = t);',
        '$.get("/public/dibu.htm", function(h){ $("#d").html(h); });',
        'x.open("GET", "/inc/foot.shtml", true); x.onload=function(){el.innerHTML=x.responseText}',
    ],
)
def test_footers_loaded_by_inline_scripts_are_followed(script: str) -> None:
    includes, signals = look(NEWS + "<div id='footer'></div>" + f"<script>{script}</script>")
    [include] = includes
    assert include.kind in ("load", "fetch")
    assert include.url.startswith(URL)
    names = [signal.name for signal in signals]
    assert names == ["script_writes_footer", "empty_footer"]
    assert all(signal.needs == (include.url,) for signal in signals)


def test_a_script_assembling_the_footer_needs_a_browser() -> None:
    script = (
        "<span id='beian-info'></span><script>var a='晋ICP'+'备2021'+'004567号';"
        "document.getElementById('beian-info').innerHTML='<a href=\"https://beian.miit.gov.cn/\">'"
        "+a+'</a>';</script>"
    )
    includes, signals = look(NEWS + script)
    assert includes == []
    # The empty #beian-info box and the script filling it: only a browser can read them.
    assert signals == [Signal("script_writes_footer", ()), Signal("empty_footer", ())]


def test_analytics_written_by_script_is_not_a_footer() -> None:
    script = (
        "<script>document.write(unescape(\"%3Cspan id='cnzz_stat_icon_1'%3E%3C/span%3E"
        "%3Cscript src='\" + p + \"s4.cnzz.com/z_stat.php%3Fid%3D1' type='text/javascript'"
        '%3E%3C/script%3E"));</script>'
    )
    assert look(NEWS + script) == ([], [])


def test_an_unprocessed_ssi_directive_is_followed() -> None:
    includes, signals = look(NEWS + '<!--#include virtual="/inc/foot.shtml" -->')
    assert includes == [Include(URL + "inc/foot.shtml", "ssi")]
    assert signals == [Signal("ssi", (URL + "inc/foot.shtml",))]


def test_an_empty_shell_needs_a_browser() -> None:
    includes, signals = look(
        "<div id='app'></div><noscript>请启用JavaScript以浏览本站</noscript>"
        "<script src='/static/js/app.3f2a.js'></script>"
    )
    assert includes == []
    assert [s.name for s in signals] == ["noscript", "script_shell"]


def test_at_most_three_includes_frames_first() -> None:
    body = (
        NEWS
        + "".join(f"<script src='/js/foot{n}.js'></script>" for n in range(5))
        + "<div class='bottom'><iframe src='/b.html'></iframe></div>"
    )
    includes, _ = look(body)
    assert len(includes) == 3 and includes[0] == Include(URL + "b.html", "iframe")


def test_reading_grades() -> None:
    footer = Signal("footer_script", (URL + "js/footer.js",))
    shell = Signal("script_shell")
    assert reading_of(answered=False, rendered=False, numbers_shown=False, signals=[]) == (
        "unread",
        ("no_page",),
    )
    # Nothing depended on: a missing number is really missing.
    assert reading_of(answered=True, rendered=False, numbers_shown=False, signals=[]) == (
        "complete",
        (),
    )
    # Both numbers found: nothing that matters was missed, whatever the page depends on.
    assert reading_of(answered=True, rendered=False, numbers_shown=True, signals=[shell])[0] == (
        "complete"
    )
    assert reading_of(answered=True, rendered=True, numbers_shown=False, signals=[shell])[0] == (
        "complete"
    )
    # The footer file was read (and shows no number): complete; not fetched: partial.
    read = reading_of(
        answered=True, rendered=False, numbers_shown=False, signals=[footer], read=[footer.needs[0]]
    )
    assert read == ("complete", ())
    assert reading_of(answered=True, rendered=False, numbers_shown=False, signals=[footer]) == (
        "partial",
        ("footer_script",),
    )
    assert reading_of(
        answered=True, rendered=False, numbers_shown=False, signals=[footer, shell],
        read=[footer.needs[0]],
    ) == ("partial", ("script_shell",))  # fmt: skip
