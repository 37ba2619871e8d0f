"""Compiled patterns, built once at import. They run on text passed through
:func:`audit.notices.normalise.clean` and :func:`~audit.notices.normalise.squeeze`
(ASCII forms, simplified characters, at most one space between two characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from lxml import etree
from lxml.html import defs as html_defs

from audit.notices.divisions import ABBR_CHARS, PROVINCE_ENGLISH, PROVINCE_PINYIN

_PROV = f"[{ABBR_CHARS}]"
_S = r"\s?"
# Digits, possibly with single spaces between them (rendered from separate tags), never a
# line break (苏ICP备10088131<br/>361软件站: a <br> or a block ends the number); the
# extractor keeps only a digit count the format allows.
_DIGITS = r"\d(?:[^\S\n]?\d)*"
# A theme's placeholder in place of the digits: xxxxxxxx, 2021xxxxxx, ********; and digits
# disguised with a trailing letter (07500273X): not a number either.
_MASK = r"\d*[xX*]{3,}[\dxX*]*|\d{5,}[xX*]{1,2}(?![A-Za-z\d])"
# Unrendered template variables: {$icp} {$cfg.beian} {{ icp }} ${icp} <%= icp %> {dede:...}
TEMPLATE_VARIABLE = (
    r"(?:\{\{\s?[\w.$\[\]'\"|]+\s?\}\}|\{\$[\w.\[\]'\"]+\}|\$\{[\w.]+\}|<%=?\s?[\w.$]+\s?%>"
    r"|\{dede:[^}]{1,60}\}|\{[\w.]*(?:icp|beian|record)[\w.]*\}|\{[A-Za-z_$][\w$]*(?:\.[\w$]+)*\}"
    r"|__[A-Z_]{3,}__"
    r"|<\?(?:php|=)[^>]{0,80}\?>)"
)
TEMPLATE_RE = re.compile(TEMPLATE_VARIABLE, re.IGNORECASE)
# The name a template variable stands for: {$cfg.beian} -> beian, ${policeCode} -> policeCode.
VARIABLE_NAME_RE = re.compile(r"([A-Za-z_$][\w$]*)\W*$")
# A constant a script or component defines (const policeCode = '33019202003146'): what a
# template variable of that name renders, where the page defines it; nothing when it is
# empty (const POLICE_CODE = "", whose block then does not render).
CONSTANT_RE = re.compile(
    r"(?<![A-Za-z0-9_$])(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*\w+\s*)?=\s*([\"'`])(\d{6,15}|)\2"
)
# The mask first: "2021xxxxxx" must not stop at "2021".
_NUMBER = f"(?P<num>{_MASK}|{_DIGITS}|{TEMPLATE_VARIABLE})"
# The site index; an app, a mini program or a quick app filed since 2023 has a service
# letter after it (辽ICP备18015387号-7A, -2X, -1K).
# (A platform's app may have a site index of four digits: 鄂B2-20240059-1745A.)
_SITE = (
    rf"(?:{_S}-{_S}(?P<site>\d{{1,3}}(?![\d])|\d{{4}}(?=[AXK](?![A-Za-z])))"
    r"(?P<app>[AXK](?![A-Za-z]))?)?"
)
# Police numbers with a site index (京公网安备:110102003042-1): one or two digits, not the
# start of a phone number.
# (the old Beijing form may put it in brackets: 京公网安备110102000666(2))
_POLICE_SITE = rf"(?:{_S}(?:-{_S}|\((?=\d{{1,2}}\)))(?P<site>\d{{1,2}})\)?(?![\d-]))?"

# A character lost to a wrong decoding (GBK read as UTF-8: 皖ICP�?16013764�?-3): where 备
# and 号 stand in a filing number, a reader restores them.
_LOST = "\ufffd\\??"
# ICP filing numbers and ICP licences. Labels seen: ICP备, ICP(备), ICP备案号:, ICP备字第,
# ICP证, the typo IPC备, and a bare ICP before the digits; a stray colon, dash or dot
# before them (京ICP备.05…).
# "ICP备案号：晋ICP备…" fails here on the label and matches at the province that follows.
# The province may stand in brackets, （晋）ICP备…; the label may be typed twice, 晋ICP备ICP备…,
# or with a one for the I after the province (鲁1CP备…).
# A bar may stand between the province and the label: 京｜ICP备11020872号－17.
ICP_RE = re.compile(
    rf"(?:[（(](?={_PROV}[）)]))?(?P<prov>{_PROV})?(?:(?<=[（(]{_PROV})[）)])?"
    rf"(?:(?<={_PROV}) ?\|(?={_S}ICP))?"
    rf"{_S}(?<![A-Za-z])(?:[Ii]|(?<={_PROV})1(?=CP备)){_S}(?:[Cc]{_S}[Pp]|[Pp]{_S}[Cc](?={_S}[备证])){_S}"
    rf"(?:\(?{_S}(?P<kind>备|证|{_LOST}){_S}\)?)?(?:{_S}ICP{_S}备)?"
    rf"(?:{_S}案)?(?P<numlabel>{_S}[号编序]{_S}[码号]?)?(?:{_S}字)?(?:{_S}第)?{_S}[:.-]?{_S}{_NUMBER}"
    rf"(?P<hao>{_S}(?:号|{_LOST}))?{_SITE}(?P<hao2>{_S}号)?"
)
# ICP备案号：京16058363号: the province after the label, "ICP备" not repeated.
ICP_LABEL_FIRST_RE = re.compile(
    rf"(?<![A-Za-z])[Ii]{_S}[Cc]{_S}[Pp]{_S}(?:备{_S}案?{_S}(?:[号编序]{_S}[码号]?)?)?{_S}:{_S}"
    rf"(?P<prov>{_PROV}){_S}(?P<num>\d{{6,8}}|\d{{10}})(?!\d)(?P<hao>{_S}号)?{_SITE}"
    rf"(?P<hao2>{_S}号)?"
)
# 京备12345678号: the label without "ICP" (seen on real footers); province and 号 required.
ICP_SHORT_RE = re.compile(
    rf"(?P<prov>{_PROV}){_S}(?P<kind>备){_S}:?{_S}(?P<num>\d{{8}}|\d{{10}})(?P<hao>{_S}号)"
    rf"{_SITE}(?P<hao2>{_S}号)?"
)
# Telecom licences: 京B2-20090059, cross-region B1-20060139 and A2.B1-20232628;
# a site index after it (粤B2-20090191-2) makes it a filing number. A digit more or less
# is read, to be reported as malformed, and so is a category without its digit (粤B-2005…,
# kept only after a province: ``_matches``). A 号 may stand before the site index
# (闽B2-20050063号-5). The ICP证 or ICP备 label is sometimes put
# before the telecom number (京ICP证B2-20171701号, 沪ICP备 B2-20050088-49): the province stays.
TELECOM_RE = re.compile(
    rf"(?:(?P<prov>{_PROV}){_S}(?:[Ii]{_S}[Cc]{_S}[Pp]{_S}[证备]{_S}(?:[号编]{_S}[码号]?)?{_S}:?{_S})?)?"
    rf"(?<![A-Za-z0-9.])(?P<cat>[AB][1-2]?(?:[.、][AB][1-2])*)"
    rf"{_S}-{_S}(?P<num>(?:19|20)\d{{5,7}})(?!\d)(?:{_S}号(?={_S}-{_S}\d))?{_SITE}"
)
# A licence label that ends with the province, the number after a colon
# (增值电信业务经营许可证粤: B2-20030314): the province is the licence's.
LABEL_PROVINCE_BEFORE_RE = re.compile(rf"许可证[^\S\n]?(?P<prov>{_PROV})[^\S\n]?[:：][^\S\n]?$")
# A cross-region licence has no province: only trust it after a licence label, in the
# filing slot ("备案号：B2-20180101", a licence shown where the filing number goes), or
# after 合字, the mark of a foreign-invested company's licence (合字B1.B2-20220041).
LICENCE_CUE_RE = re.compile(
    r"许可|经营|业务|ICP|licen[cs]e|证[:\s]*$|备案[号编序]?码?\s?:?\s?$|合字\s?$", re.IGNORECASE
)

# Police numbers. Labels seen: 公网安备, and the typos 公安网备, 公网备, 公安备, 网安备,
# 公安机关备案号, 云安备 (``_police_matches`` wants a province before 安备); the older
# 公网监备, 公网监备案证第, 公安网监备案号, 网监备案号, 网警备案号 and 网警备 before the digits
# (南宁网警备4501200373号), a city's 公备 (保公备,
# 保定's); before 2016 the filing organ itself
# (北京市公安局朝阳分局备案编号, 海淀分局备案); 公安部备案号 and 公安联网备案号 (the filing of
# 国际联网). The province may follow the label (公网安备：京1101…), a slash may stand
# before the digits (公网安备/61129…); older local numbers have a hyphen inside
# (京公安备110-1081940, 渝公网备500000012-00013).
POLICE_RE = re.compile(
    rf"(?P<prov>{_PROV})?{_S}(?P<label>公{_S}安?{_S}网{_S}[安监]?{_S}备|公{_S}安{_S}机{_S}关{_S}备"
    rf"|公{_S}安{_S}(?:部|(?:机{_S}关{_S})?联{_S}网)?{_S}备|网{_S}安{_S}备|公{_S}网{_S}安"
    rf"|公{_S}安{_S}局[\u4e00-\u9fff]{{0,8}}?备(?={_S}案)|分{_S}局{_S}备(?={_S}案)|安{_S}备"
    rf"|网{_S}[监警]{_S}备(?={_S}案|{_S}[:：]?{_S}\d{{10}})|(?<=[\u4e00-\u9fff])公备"
    # (网备 alone, before the 14 digits of a police number: 赣B2-…号/网备36011002000011号)
    rf"|(?<![\u4e00-\u9fff])网{_S}备(?={_S}[:：]?{_S}\d{{14}}(?!\d))"
    # (cut short after the province: 浙公网 33010602002490号)
    rf"|(?<={_PROV})公{_S}网(?={_S}\d{{14}}(?!\d)))"
    rf"(?:{_S}案)?(?:{_S}证)?(?:{_S}[号编]{_S}[码号]?)?(?:{_S}第)?{_S}[:/]?{_S}(?P<prov2>{_PROV})?"
    rf"{_S}{_NUMBER}(?P<rest>-\d{{4,11}}(?!\d))?(?P<hao>{_S}号)?{_POLICE_SITE}(?P<hao2>{_S}号)?"
)

# A text node that ends with a label and holds no number (the page's raw text: <p>沪ICP备</p>
# with the number in the next block).
BARE_LABEL_RE = re.compile(
    r"(?:ICP\s*[备備证證]\s*案?|公\s*网\s*安\s*[备備]\s*案?|公安(?:机关)?[备備]案|标识码)"
    r"\s*(?:[号號编編序]\s*[码碼号號]?)?\s*[:：]?\s*$",
    re.IGNORECASE,
)

# Numbers written in English (Beijing ICP No. 2026006343, Beijing ICP - 10046444,
# FujianICPPrepared2024073556-1,
# ICP License No. 2022020686, Shanghai; Beijing Public Network Security No. 110113…): the
# province by its English name, before the label or after the number; or in pinyin, the
# abbreviation as a word of its own before the label (Yue ICP B No. …, E ICP Bei …,
# Jing Gongwang Anbei 110108…), B and Bei standing for 备.
_ENGLISH_PROVINCE = "|".join(sorted(PROVINCE_ENGLISH, key=len, reverse=True)).replace(" ", r"\s?")
_PINYIN_PROVINCE = "|".join(sorted(PROVINCE_PINYIN, key=len, reverse=True))
_NAMED_BEFORE = rf"{_ENGLISH_PROVINCE}|(?<![A-Za-z])(?:{_PINYIN_PROVINCE})(?=\s)"
ENGLISH_ICP_RE = re.compile(
    rf"(?:(?P<pname>{_NAMED_BEFORE})\s?)?(?<![A-Za-z])ICP\s?"
    r"(?:(?:prepar(?:ed|ation)|filing|record(?:\s?licen[cs]e)?|registration|reg\.?|licen[cs]e"
    r"|bei\b|b\b)\s?)?"
    r"(?:No\.?|Number|#)?\s?[:.\-]?\s?"
    # (one digit off is a typo, read as shown: ZHE ICP1202424-1; Bei … Hao-2: 备…号-2)
    r"(?P<num>\d{7,11})(?!\d)(?:\s?Hao\b)?(?:\s?-\s?(?P<site>\d{1,3})(?!\d))?"
    rf"(?:\s?,\s?(?P<after>{_ENGLISH_PROVINCE})|\s?by\s(?P<issuer>{_ENGLISH_PROVINCE}))?",
    re.IGNORECASE,
)
ENGLISH_POLICE_RE = re.compile(
    rf"(?P<pname>{_NAMED_BEFORE})\s?"
    r"(?:Public\s?(?:Network\s?)?Security|Gong\s?wang\s?An\s?bei)\s?"
    r"(?:(?:Filing|Record|Registration|ICP)\s?)?(?:No\.?|Number)?\s?[:.\-]?\s?"
    r"(?P<num>\d{10,15})(?!\d)",
    re.IGNORECASE,
)
# An ICP licence in English (Beijing ICP licence No. - 110507, ICP Certificate No. 110507).
ENGLISH_ICP_LICENCE_RE = re.compile(
    rf"(?P<pname>{_NAMED_BEFORE})\s?ICP\s?(?:licen[cs]e|certificate)\s?(?:No\.?|Number)?"
    r"\s?[:.\-]?\s?(?P<num>\d{6})(?!\d)",
    re.IGNORECASE,
)
# A telecom licence after an English province name (License No.Shanghai B2-20170322).
ENGLISH_PROVINCE_BEFORE_RE = re.compile(rf"(?P<pname>{_ENGLISH_PROVINCE})\s?$", re.IGNORECASE)

# 网站标识码 and its variants (标识号, 网站识别号). Lengths one or two off are read too, to be
# reported as malformed (``_matches`` keeps them only after a full label).
SITE_CODE_RE = re.compile(
    # (学校标识码 and the like identify a school, a body, a device: no website)
    r"(?<!学校)(?<!机构)(?<!单位)(?<!设备)(?<!产品)(?<!用户)"
    # (a label may be written one character per element: 网 站 标 识 码)
    r"(?P<label>(?:政\s?府\s?)?(?:网\s?站\s?)?(?:标\s?识\s?[码号]|识\s?别\s?[号码]))"
    r"\s?(?:为|是)?\s?:?\s?"
    r"(?P<code>[bB][mM]\d{7,9}|\d{8,12})(?:(?![\dA-Za-z])|(?=ICP))"  # bm12000003ICP备…
)
SPONSOR_RE = re.compile(r"主办(?:单位)?\s?[:]\s?(?P<name>[^\s:|丨｜,，;；。<>\[\]【】]{2,60})")
SPONSOR_STOP_RE = re.compile(
    r"(?:承办|协办|地址|电话|邮编|技术支持|版权|网站标识码|标识码|备案|联系|运维|维护|传真|邮箱"
    rf"|Copyright|©|主管|建设单位|网站管理|{_PROV}ICP|ICP|{_PROV}公网安备)",
    re.IGNORECASE,
)

# Context cues.
# A map provider's name and its map approval number (© Baidu - GS(2016)2089号): the
# attribution line of an embedded map, whose licence is the provider's, not the site's.
# (A map approval number alone is no sign: 天地图 sites show their own beside their ICP.)
MAP_ATTRIBUTION_RE = re.compile(
    r"(?:Baidu|百度|AutoNavi|高德|Tencent|腾讯|NavInfo|四维图新|Google)[^号]{0,12}?"
    r"GS\s?[\u4e00-\u9fff]?\s?\(\s?\d{4}\s?\)\s?\d{3,5}\s?号",
    re.IGNORECASE,
)
# Words that introduce somebody else's number in running text ("该网站备案号为…").
QUOTE_CUE_RE = re.compile(
    r"(?:是|如|例如|比如|假冒|冒用|涉案|该网站|该公司|其网站|查询到|显示)[\s:\"'“”「」《》]*$"
    # (为 before a colon is a label of the page's own: 备案/许可证编号为：京ICP备…)
    r"|为[\s\"'“”「」《》]*$"
    # a quoted or titled name with its number in brackets: "“某某资讯网”（沪ICP备…）"
    r"|[”」》』]\s*[（(]\s*$"
)
# A notice in quotation marks opened right after an English word: a sentence quoting
# another site's footer (… its footer states, plus "网站标识码：bm63000001 京ICP备…".).
PROSE_QUOTE_RE = re.compile(r"[A-Za-z]{2,}\s[\"“][^\"“”'`,;={}<>()\[\]]{0,38}$")
# A quotation after a quotation (页脚原文「主办单位：…」「网站标识码：bm29000002 京ICP备…」):
# another page's footer, quoted piece by piece.
CORNER_QUOTE_RE = re.compile(r"[」』]\s?[「『](?P<quoted>[^」』]{0,38})$")
# A test's assertions around a number (expect(…).toBe('京ICP备…'), assert.match(html,
# /陇ICP备…/), find.text(…), findsNothing): the test quotes a page, it shows nothing itself.
TEST_CODE_RE = re.compile(
    # (a bare assert( is left out: minified bundles keep some, footers among them)
    r"\bexpect\s*\(|\bassert(?:\.\w+|Equals|That|True|False)\s*\("
    r"|\.to(?:Be|Equal|Contain|HaveText|Match)\w*\s*\(|\bfinds(?:Nothing|OneWidget|Widgets)\b"
    r"|\btestWidgets\s*\(|\bdescribe\s*\(\s*['\"`]"
)
TEST_CODE_REACH = 400  # characters before a number where a test's assertions are looked for
# The page speaking of itself ("本站备案号：", "版权所有 …"): overrides a quote cue, and
# keeps the site's own number in a block that starts with a partner-list heading.
OWN_CUE_RE = re.compile(r"本站|本网|版权|Copyright|©|备案[号编序]?码?\s?:|主办", re.I)
# A self-referring label ("本站备案号：").
SELF_CUE_RE = re.compile(r"(?:本站|本网站|本网|网站)[^。]{0,6}$|备案[号编序]?码?\s?:?\s?$")
# Footer vocabulary near a number found in a script.
FOOTER_CUE_RE = re.compile(
    r"版权所有|版权|copyright|©|备案|主办|技术支持|footer|beian|\bicp\w*[\"']?\s?:"
    r"|record\w*[\"']?\s?:",
    re.IGNORECASE,
)

# The cheap pre-filter. Per-node XPath predicates cost libxml2 a string copy each, so the
# text nodes come back unfiltered and Python tests them (see ``has_trigger``).
TRIGGERS = (
    "备",
    "備",
    "CP",
    "ＣＰ",
    "cp",
    "B1",
    "B2",
    "Ｂ",
    "识",
    "識",
    "主办",
    "主辦",
    "nbei",  # pinyin police label: Gongwang Anbei
)
TRIGGER_RE = re.compile("|".join(map(re.escape, TRIGGERS)))
# In script text, also escaped forms of 备 and 公, and the conac badge.
SCRIPT_TRIGGERS = (*TRIGGERS, "\\u5907", "%E5%A4%87", "\\u516c", "conac")


def has_trigger(text: str) -> bool:
    """Whether a text may hold a notice (a chain of ``in`` is the fastest test here)."""
    return (
        "备" in text
        or "CP" in text
        or "B2" in text
        or "识" in text
        or "主办" in text
        or "備" in text
        or "B1" in text
        or "ＣＰ" in text
        or "cp" in text
        or "Ｂ" in text
        or "識" in text
        or "主辦" in text
        or "nbei" in text
    )


# Second stage, on the raw text of a node that passed ``has_trigger``: a piece of a notice
# (news titles are full of 准备, 设备, 知识). A number split across tags still has one node
# with its label ("晋ICP备", "公网安备", "备案号：").
NOTICE_HINT_RE = re.compile(
    r"[IiＩｉ]\s*[CcＣｃ]\s*[PpＰｐ]|[安网網]\s*[备備]|[备備]\s*案\s*[号號编編序]"
    rf"|[备備]\s*[:：]|{_PROV}\s*[备備]|[备備]\s*[\d０-９]{{6}}|[BＢ]\s*[12１２]\s*[-－]"
    r"|[标標]\s*[识識]|[识識]\s*[别別]|主\s*[办辦]\s*(?:[单單]\s*位)?\s*[:：]|[Aa]n\s?bei"
)
# Plain strings are cheap; "smart" ones (that know their parent) cost an element proxy each,
# so they are fetched only for the stretches of the document that hold a hit.
TEXT_XPATH = etree.XPath("//text()", smart_strings=False)
TEXT_RANGE_XPATH = etree.XPath("(//text())[position() >= $first and position() <= $last]")
SCRIPT_XPATH = etree.XPath("//script | //template")
# Registry links and the conac badge, in a fragment a script writes: elements with an
# attribute naming them (see ``PageAttributes`` for the page's own).
FRAGMENT_LINK_XPATH = etree.XPath(".//@*[contains(., 'beian') or contains(., 'conac.cn')]/..")
_REGISTRY_HOSTS = (
    r"(?:www\.)?(?:beian\.miit\.gov\.cn|miitbeian\.gov\.cn|miibeian\.gov\.cn"
    r"|beian\.(?:mps\.)?gov\.cn)"
)
# A registry URL that code makes a link of: the value of a key or variable in a script or
# config (recordLink: "…", const href = `…`), an href written in a string, the target of
# a Markdown link ([…](…), [1]: …), a link's href set by a script (a.href = "…"); not
# location.href = "…" (a click handler's). The URL is found first; CODE_URL_CONTEXT_RE
# checks what stands before it.
# (https:\\beian.miit.gov.cn: a browser reads backslashes in a web URL as slashes)
CODE_URL_RE = re.compile(rf"(?:(?:https?:)?//|https?:\\{{1,2}}){_REGISTRY_HOSTS}[^\s\"'`<>)\\\]]*")
# A variable (name = "…") counts only where the page uses it as an href (href={name}),
# not when a click handler opens it: ``_used_as_href``.
# A value that falls back to the URL: process.env.X?.trim() || "https://…", a.b ?? '…';
# or that a condition chooses: CODE ? `https://…?code=${CODE}` : "".
_FALLBACK = r"(?:[\w.$?]+(?:\(\s*\))?\s*(?:\|\||\?\?|\?)\s*)?"
CODE_URL_CONTEXT_RE = re.compile(
    r"(?:(?<!location\.)(?<!\w)href\s*=\s*\{?\s*\\?[\"'`]?|\]\(<?|\]:\s*"
    # an attribute pair of a compiled template (Angular: [["href","http://www.beian…"]])
    r"|[\"']href[\"']\s*,\s*[\"']"
    rf"|[A-Za-z0-9_$-][\"']?\s*:\s*{_FALLBACK}[\"'`]?"
    rf"|(?P<name>[A-Za-z_$][\w$]*)\s*=\s*{_FALLBACK}[\"'`]?)\s*$"
)
VARIABLE_HREF_XPATH = etree.XPath(
    "//@href[starts-with(., '{')] | //@*[name() = ':href' or name() = 'v-bind:href']",
    smart_strings=False,
)
META_SITE_CODE_XPATH = etree.XPath(
    "/html/head/meta[translate(@name, 'SITEIDCODE', 'siteidcode') = 'siteidcode']/@content"
)
JSON_URL_RE = re.compile(r"(?:https?:)?//[^\s\"'<>,}\]]+|(?<![\w.])(?:www\.)?beian\.[\w./#?=&-]+")
CONAC_URL_RE = re.compile(r"(?:https?:)?//(?:bszs|dcs)\.conac\.cn[^\s\"'<>)]*")
# The badge's own page (a link to it is the badge; dcs.conac.cn only serves its image).
CONAC_LINK_RE = re.compile(r"(?:https?:)?//bszs\.conac\.cn[^\s\"'`<>)\\]*")


# Typed calls of the XPath expressions above. lxml types an XPath result as the union of
# everything XPath can return (booleans, numbers, strings, elements, lists of these); each
# expression here returns one kind, named by these functions' return types.


def all_texts(root: etree._Element) -> list[str]:
    """Every text node of the document (plain strings)."""
    return cast("list[str]", TEXT_XPATH(root))


CODE_SAMPLE_TEXT_XPATH = etree.XPath("//pre//text() | //code//text()", smart_strings=False)


def code_sample_texts(root: etree._Element) -> list[str]:
    """The text shown as code (<pre>, <code>): markup quoted, not the page's own."""
    return cast("list[str]", CODE_SAMPLE_TEXT_XPATH(root))


SHOWN_HREF_TEXT_XPATH = etree.XPath(
    "//text()[contains(., 'href')][not(ancestor::script or ancestor::template)]",
    smart_strings=False,
)


def shown_href_texts(root: etree._Element) -> list[str]:
    """Text a visitor sees (not a script's) that speaks of an href: markup stored escaped
    (&lt;a href=…&gt;) is shown as text, and links nothing."""
    return cast("list[str]", SHOWN_HREF_TEXT_XPATH(root))


def texts_between(root: etree._Element, first: int, last: int) -> list[etree._ElementUnicodeResult]:
    """Text nodes ``first`` to ``last`` (1-based, inclusive), as strings that know their parent."""
    return cast("list[etree._ElementUnicodeResult]", TEXT_RANGE_XPATH(root, first=first, last=last))


HTML_TAGS = frozenset(html_defs.tags)
# Every attribute of the page, as strings that know their element: one pass of libxml2
# that copies each value once, then sorted in Python (an XPath predicate per attribute
# would copy it again for each test).
ALL_ATTRIBUTES_XPATH = etree.XPath("//@*")
# alt of images and image-map areas (a number drawn as an image); title of links and images.
_TEXT_ATTRIBUTES = {"alt": ("img", "area"), "title": ("a", "img")}
# An element that shows only a label, its number in a tooltip (<div title="渝ICP备…号">ICP</div>).
_BARE_LABEL_TEXT = re.compile(
    r"\s*(?:[\u4e00-\u9fff]?\s?ICP\s?(?:备案?\s?号?|证)?|备案号|公网安备)\s*$", re.IGNORECASE
)


@dataclass
class PageAttributes:
    """The attributes the extractor reads, in document order, from one pass over them all.

    ``texts``: alt and title attributes (a number drawn as an image, a link's title);
    ``props``: values naming ICP or 备 on elements that are not HTML (a Vue or React
    component's props, which the component renders); ``link_elements``: elements with an
    attribute naming a filing registry or conac (<a>, <area>, components that render as
    links, <Link href>, and bound targets, :href="'…'"; the caller keeps those).
    """

    texts: list[etree._ElementUnicodeResult] = field(default_factory=list)
    props: list[etree._ElementUnicodeResult] = field(default_factory=list)
    link_elements: list[etree._Element] = field(default_factory=list)


def all_attributes(root: etree._Element) -> list[etree._ElementUnicodeResult]:
    """Every attribute of the document, in document order (``value.attrname`` names it,
    ``value.getparent()`` is its element). The crawler reads them once per page and hands
    them to both readers, :func:`page_attributes` and the footer's
    :func:`~audit.notices.footer.footer_text`."""
    return cast("list[etree._ElementUnicodeResult]", ALL_ATTRIBUTES_XPATH(root))


def page_attributes(
    root: etree._Element, attributes: list[etree._ElementUnicodeResult] | None = None
) -> PageAttributes:
    """The attributes the extractor reads, from ``all_attributes(root)`` (or those given)."""
    found = PageAttributes()
    last_link: etree._Element | None = None
    for value in all_attributes(root) if attributes is None else attributes:
        name = value.attrname
        if (name == "alt" or name == "title") and has_trigger(value):
            element = value.getparent()
            if element is not None and (
                element.tag in _TEXT_ATTRIBUTES[name]
                or (name == "title" and _BARE_LABEL_TEXT.match(element.text or ""))
            ):
                found.texts.append(value)
        if "ICP" in value or "备" in value:
            element = value.getparent()
            tag = element.tag if element is not None else None
            if isinstance(tag, str) and tag not in HTML_TAGS:
                found.props.append(value)
        if "beian" in value or "conac.cn" in value:
            element = value.getparent()
            # (the attributes of one element come together: one entry per element)
            if element is not None and element is not last_link:
                found.link_elements.append(element)
                last_link = element
    return found


def scripts(root: etree._Element) -> list[etree._Element]:
    """The document's <script> and <template> elements."""
    return cast("list[etree._Element]", SCRIPT_XPATH(root))


def fragment_link_elements(fragment: etree._Element) -> list[etree._Element]:
    """The same, under ``fragment``."""
    return cast("list[etree._Element]", FRAGMENT_LINK_XPATH(fragment))


def variable_hrefs(root: etree._Element) -> list[str]:
    """Bound link targets: href="{name}", :href, v-bind:href (plain strings)."""
    return cast("list[str]", VARIABLE_HREF_XPATH(root))


def meta_site_codes(root: etree._Element) -> list[str]:
    """The content of <meta name="SiteIDCode">."""
    return cast("list[str]", META_SITE_CODE_XPATH(root))
