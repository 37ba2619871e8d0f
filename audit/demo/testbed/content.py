"""Vocabulary, Chinese filler text and HTML fragments for the testbed's synthetic sites.

Everything here is a pure function of its arguments (a ``random.Random`` included), so the
generator stays deterministic. All text must be encodable in GBK: some pages are served in GBK.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass, field
from html import escape

# --- names and host names ------------------------------------------------------------------

# Characters used to compose fictional names, with their pinyin, so that a host name can be
# derived from a generated Chinese name (the tool never needs real pinyin conversion).
NAME_CHARS: tuple[tuple[str, str], ...] = (
    ("东", "dong"), ("西", "xi"), ("南", "nan"), ("北", "bei"), ("龙", "long"), ("华", "hua"),
    ("金", "jin"), ("泰", "tai"), ("安", "an"), ("鑫", "xin"), ("盛", "sheng"), ("德", "de"),
    ("恒", "heng"), ("源", "yuan"), ("宏", "hong"), ("达", "da"), ("利", "li"), ("丰", "feng"),
    ("兴", "xing"), ("康", "kang"), ("嘉", "jia"), ("瑞", "rui"), ("祥", "xiang"), ("和", "he"),
    ("顺", "shun"), ("富", "fu"), ("宝", "bao"), ("明", "ming"), ("光", "guang"), ("天", "tian"),
    ("海", "hai"), ("远", "yuan"), ("通", "tong"), ("博", "bo"), ("文", "wen"), ("信", "xin"),
    ("诚", "cheng"), ("正", "zheng"), ("凯", "kai"), ("阳", "yang"), ("峰", "feng"), ("林", "lin"),
    ("昌", "chang"), ("庆", "qing"), ("福", "fu"), ("银", "yin"), ("泉", "quan"), ("庄", "zhuang"),
    ("柳", "liu"), ("桥", "qiao"), ("原", "yuan"), ("河", "he"), ("川", "chuan"), ("辉", "hui"),
    ("益", "yi"), ("晨", "chen"), ("星", "xing"), ("宇", "yu"), ("志", "zhi"), ("振", "zhen"),
    ("鸿", "hong"), ("奥", "ao"), ("润", "run"), ("泽", "ze"), ("峪", "yu"), ("沟", "gou"),
    ("坡", "po"), ("营", "ying"), ("堡", "bao"), ("店", "dian"), ("寨", "zhai"), ("郭", "guo"),
)  # fmt: skip

# Real county-level names of the default profile and their host labels; other profiles fall
# back to a label made from the division code.
PLACE_SLUGS: dict[str, str] = {
    "盐湖区": "yanhu", "临猗县": "linyi", "万荣县": "wanrong", "闻喜县": "wenxi",
    "稷山县": "jishan", "新绛县": "xinjiang", "绛县": "jiangxian", "垣曲县": "yuanqu",
    "夏县": "xiaxian", "平陆县": "pinglu", "芮城县": "ruicheng", "永济市": "yongji",
    "河津市": "hejin", "运城市": "yuncheng", "太原市": "taiyuan",
}  # fmt: skip

CN_NUMERALS = "一二三四五六七八九十"


def numeral(n: int) -> str:
    """1..20 as a Chinese numeral (第二中学)."""
    if n <= 10:
        return CN_NUMERALS[n - 1]
    if n < 20:
        return "十" + CN_NUMERALS[n - 11]
    return "二十"


def short_place(name: str) -> str:
    """盐湖区 -> 盐湖; two-character names such as 绛县 keep their suffix."""
    return name[:-1] if len(name) > 2 and name[-1] in "区县市" else name


def place_slug(name: str, code: str) -> str:
    return PLACE_SLUGS.get(name) or f"d{code}"


# Government departments: (name, host label).
BUREAUS: tuple[tuple[str, str], ...] = (
    ("教育局", "jyj"), ("卫生健康委员会", "wjw"), ("公安局", "gaj"), ("财政局", "czj"),
    ("人力资源和社会保障局", "rsj"), ("自然资源局", "zrzyj"), ("生态环境局", "sthjj"),
    ("住房和城乡建设局", "zjj"), ("交通运输局", "jtj"), ("水利局", "slj"),
    ("农业农村局", "nyncj"), ("商务局", "swj"), ("文化和旅游局", "wlj"), ("统计局", "tjj"),
    ("应急管理局", "yjj"), ("市场监督管理局", "scjgj"), ("医疗保障局", "ybj"),
    ("发展和改革委员会", "fgw"), ("工业和信息化局", "gxj"), ("民政局", "mzj"), ("司法局", "sfj"),
    ("行政审批服务管理局", "xzspj"), ("审计局", "sjj"), ("退役军人事务局", "tyjrj"),
    ("林业局", "lyj"), ("能源局", "nyj"), ("体育局", "tyj"), ("城市管理局", "cgj"),
    ("信访局", "xfj"), ("科学技术局", "kjj"), ("国有资产监督管理委员会", "gzw"),
)  # fmt: skip

# Public institutions (事业单位): (name, host label).
INSTITUTIONS: tuple[tuple[str, str], ...] = (
    ("疾病预防控制中心", "cdc"), ("公共资源交易中心", "ggzy"), ("住房公积金管理中心", "gjj"),
    ("图书馆", "tsg"), ("博物馆", "bwg"), ("档案馆", "dag"), ("不动产登记中心", "bdc"),
    ("政务服务中心", "zwfw"), ("农业技术推广中心", "njzx"), ("社会保险中心", "sbzx"),
    ("就业服务中心", "jyfw"), ("大数据中心", "dsj"), ("文物保护中心", "wwbh"),
    ("供水服务中心", "gszx"), ("气象台", "qxt"), ("地震监测中心", "dzjc"),
)  # fmt: skip

INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("科技", "keji"), ("商贸", "sm"), ("农业开发", "nongye"), ("建筑工程", "jianzhu"),
    ("物流", "wuliu"), ("食品", "food"), ("机械制造", "jixie"), ("化工", "huagong"),
    ("文化传媒", "media"), ("医药", "yiyao"), ("新能源", "energy"), ("电子", "dianzi"),
    ("房地产开发", "fdc"), ("旅游开发", "lvyou"), ("网络科技", "net"), ("果业", "guoye"),
    ("铝业", "lvye"), ("纺织", "fangzhi"), ("教育咨询", "edu"), ("酒店管理", "hotel"),
    ("汽车销售", "auto"), ("环保科技", "hbkj"), ("生物科技", "bio"), ("印务", "print"),
)  # fmt: skip

TRADES: tuple[tuple[str, str], ...] = (
    ("物流", "wl"), ("律师", "ls"), ("建筑业", "jzy"), ("旅游", "ly"), ("餐饮", "cy"),
    ("果业", "gy"), ("摄影家", "syj"), ("作家", "zj"), ("书法家", "sfj"), ("注册会计师", "cpa"),
    ("软件行业", "rj"), ("个体劳动者", "gt"), ("老年人体育", "lnty"), ("青年企业家", "qnqyj"),
)  # fmt: skip

ROADS = (
    "河东街", "解放路", "禹都大道", "红旗街", "学苑路", "工农街", "人民路", "中银大道",
    "盐湖路", "槐东路", "机场路", "运师路", "府东街", "南风大道", "建设路", "文化街",
)  # fmt: skip

# What a site's organiser (承办单位) of a government site tends to be.
ORGANISER_SUFFIXES = ("大数据中心", "信息中心", "融媒体中心", "政务信息中心")

# Outside-the-jurisdiction hosts that homepages link to; the testbed serves them as simple pages.
OUTSIDE_HOSTS: dict[str, str] = {
    "www.gov.cn": "中国政府网",
    "www.shanxi.gov.cn": "山西省人民政府",
    "www.12377.cn": "中央网信办（国家互联网信息办公室）违法和不良信息举报中心",
    "www.baidu.com": "百度一下，你就知道",
}


def name_pair(rng: random.Random) -> tuple[str, str]:
    """Two characters and their pinyin: 鑫盛 / xinsheng."""
    (a, pa), (b, pb) = rng.sample(NAME_CHARS, 2)
    return a + b, pa + pb


# --- filler text ---------------------------------------------------------------------------

TOPICS = (
    "优化营商环境", "乡村振兴", "安全生产", "生态环境保护", "文明城市创建", "高标准农田建设",
    "黄河流域生态保护", "政务公开", "防汛抗旱", "森林防火", "食品安全", "招商引资", "民生实事",
    "义务教育", "医疗保障", "就业创业", "数字政府建设", "网络安全宣传", "河长制", "垃圾分类",
    "老旧小区改造", "冬季清洁取暖", "农村人居环境整治", "扫黑除恶", "禁毒宣传", "消防安全",
)  # fmt: skip
ACTIVITIES = (
    "学雷锋志愿服务", "安全生产月", "全民国家安全教育日宣传", "消费者权益保护", "法治宣传进社区",
    "科技下乡", "文化惠民演出", "全民健身", "无偿献血", "义诊进乡村", "读书月", "植树造林",
)  # fmt: skip
EVENTS = (
    "春季招聘会", "农产品展销会", "文化旅游节", "职业技能大赛", "青少年科技创新大赛",
    "民营企业座谈会", "重点项目集中开工仪式", "半程马拉松比赛", "非遗展演活动",
)  # fmt: skip
DEPTS = tuple(name for name, _ in BUREAUS[:20])

NEWS_TEMPLATES = (
    "{city}召开{topic}工作推进会",
    "{district}开展{activity}活动",
    "{city}{dept}党组理论学习中心组举行专题学习",
    "关于做好{year}年{topic}工作的通知",
    "{district}：{topic}取得阶段性成效",
    "{city}{dept}深入基层调研{topic}工作",
    "{year}年{district}{topic}工作要点",
    "{city}举办{event}",
    "{district}扎实推进{topic}",
    "关于公布{year}年度{topic}先进单位名单的公示",
    "{district}召开{topic}专题会议",
    "{city}{dept}开展{activity}主题宣传",
    "市领导督导检查{district}{topic}工作",
    "{district}多措并举推动{topic}落地见效",
)
SENTENCES = (
    "近日，{district}召开{topic}专题会议，安排部署下一阶段重点工作。",
    "会议强调，各级各部门要提高政治站位，压实工作责任，确保各项任务落到实处。",
    "{dept}相关负责人介绍，今年以来共开展{topic}检查{n}次，发现并整改问题{m}个。",
    "下一步，{district}将持续深化{topic}，不断提升群众的获得感、幸福感和安全感。",
    "活动现场，工作人员通过发放宣传资料、现场讲解等方式，向群众普及{topic}相关知识。",
    "据统计，本次活动共发放宣传资料{n}余份，接受群众咨询{m}人次。",
    "为进一步做好{topic}工作，{dept}组织专人深入乡镇、村（社区）开展督导检查。",
    "{city}{dept}认真贯彻落实上级决策部署，坚持问题导向，创新工作方法。",
    "截至目前，全区已累计完成投资{m}亿元，完成年度目标任务的{p}%。",
    "与会人员一致表示，将以此次会议为契机，进一步统一思想、凝聚共识、狠抓落实。",
    "{city}{event}吸引了{n}余名群众参与，现场气氛热烈。",
    "此次{activity}活动的开展，有效提升了群众的参与度和满意度。",
    "{district}坚持把{topic}作为重要政治任务，建立健全长效机制。",
    "各乡镇要立足实际，细化工作方案，明确时间节点，确保按期完成各项任务。",
    "通过{activity}，进一步营造了全社会共同关注{topic}的良好氛围。",
    "会上，{dept}主要负责同志通报了前一阶段工作进展情况，并对存在的问题进行了分析。",
    "{district}紧盯薄弱环节，强化日常监管，推动{topic}工作提质增效。",
    "据了解，该项目总投资{m}亿元，建成后将有效带动周边{n}余人就业。",
)


@dataclass(frozen=True)
class TextContext:
    city: str
    districts: tuple[str, ...]


def _slots(rng: random.Random, ctx: TextContext) -> dict[str, object]:
    return {
        "city": ctx.city,
        "district": rng.choice(ctx.districts),
        "dept": rng.choice(DEPTS),
        "topic": rng.choice(TOPICS),
        "activity": rng.choice(ACTIVITIES),
        "event": rng.choice(EVENTS),
        "year": rng.randint(2021, 2025),
        "n": rng.randint(3, 900),
        "m": rng.randint(2, 60),
        "p": rng.randint(60, 99),
    }


def news_title(rng: random.Random, ctx: TextContext) -> str:
    return rng.choice(NEWS_TEMPLATES).format(**_slots(rng, ctx))


def paragraph(rng: random.Random, ctx: TextContext, sentences: int = 4) -> str:
    return "".join(rng.choice(SENTENCES).format(**_slots(rng, ctx)) for _ in range(sentences))


def date_text(rng: random.Random) -> str:
    return f"{rng.randint(2023, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def css_blob(rng: random.Random, rules: int) -> str:
    """Plausible site CSS (ASCII). Never the word 'charset': undeclared pages must stay so."""
    props = (
        "margin:0 auto", "padding:0 10px", "color:#333", "color:#c00", "font-size:14px",
        "font-size:16px", "line-height:1.8", "background:#f5f5f5", "border-bottom:1px solid #ddd",
        "text-align:center", "float:left", "overflow:hidden", "width:1200px", "display:block",
        "white-space:nowrap", "text-overflow:ellipsis", "height:36px", "list-style:none",
    )  # fmt: skip
    names = ("header", "nav", "main", "news", "list", "item", "banner", "footer", "links",
             "notice", "col", "box", "title", "more", "tab", "pic", "side", "wrap")  # fmt: skip
    out = []
    for i in range(rules):
        sel = f".{rng.choice(names)}-{rng.choice(names)}{i} {rng.choice(('a', 'li', 'span', 'p'))}"
        out.append(sel + "{" + ";".join(rng.sample(props, 3)) + "}")
    return "\n".join(out) + "\n"


def js_blob(rng: random.Random, functions: int) -> str:
    """Valid, side-effect-free JavaScript of the kind sites ship (ASCII)."""
    out = ["(function(){"]
    for i in range(functions):
        a, b = rng.randint(1, 99), rng.randint(1, 99)
        out.append(
            f"function f{i}(x,y){{var r=x*{a}+y-{b};if(r>1000){{r=r%{a + 7};}}"
            f"var s=[];for(var k=0;k<3;k++){{s.push(r+k);}}return s.join('-');}}"
        )
    out.append(
        "var tabs=document.querySelectorAll('.tab li');"
        "for(var t=0;t<tabs.length;t++){tabs[t].onmouseover=function(){this.className='on';};}"
    )
    out.append("})();")
    return "\n".join(out) + "\n"


# Domain-takeover ("expired domain") pages: gambling-looking content, no filing numbers.
TAKEOVER_BRANDS = ("澳门新葡京", "威尼斯人", "太阳城集团", "皇冠体育", "金沙娱乐", "银河娱乐")
TAKEOVER_WORDS = ("真人视讯", "体育投注", "电子游艺", "彩票", "棋牌", "注册即送彩金", "官方网址")


# --- filing-number footers -------------------------------------------------------------------

ICP_RE = re.compile(r"^(.)ICP备(\d+)号(?:-(\d+))?$")
POLICE_RE = re.compile(r"^(.)公网安备(\d{14})号$")

ICP_REGISTRY_URLS = (
    "https://beian.miit.gov.cn/",
    "http://beian.miit.gov.cn",
    "https://beian.miit.gov.cn/#/Integrated/index",
    "http://www.beian.miit.gov.cn/",
    "https://beian.miit.gov.cn",
)
ICP_OUTDATED_URLS = ("http://www.miitbeian.gov.cn/", "http://www.miibeian.gov.cn/")

ICP_PLACEHOLDERS = (
    "京ICP备xxxxxxxx号",
    "ICP备12345678号",
    "晋ICP备00000000号",
    "京ICP备12345678号",
)
POLICE_PLACEHOLDERS = ("京公网安备11000000000001号", "公网安备00000000000000号")
# Abbreviations that are no province's (河东 is the old name of the Yuncheng region).
BAD_PROVINCE_PREFIXES = ("秦", "汾", "河东")

FULLWIDTH = str.maketrans("0123456789ICP-", "０１２３４５６７８９ＩＣＰ－")


def police_url(digits: str, style: str) -> str:
    if style == "new":
        return f"https://beian.mps.gov.cn/#/query/webSearch?code={digits}"
    return f"http://www.beian.gov.cn/portal/registerSystemInfo?recordcode={digits}"


@dataclass(frozen=True)
class FooterInput:
    """What a site would show in its footer; the footer kind decides what it actually shows."""

    icp: str  # normalised: 晋ICP备2021001234号-1
    police: str  # normalised: 晋公网安备14080202000123号
    sponsor: str
    marker: str  # the copyright line, unique per site
    government: bool
    public_institution: bool  # blue conac badge instead of red
    site_code: str | None
    conac_id: str
    conac_style: str  # link | script | unescape
    icp_url: str
    police_url_style: str  # old | new
    show_sponsor: bool  # non-government footers that still name a 主办单位
    organiser: str
    address: str
    phone: str
    extra_line: str | None = None  # 统一社会信用代码 and the like
    template_dup: bool = False  # footer repeated inside <script type="text/html">


@dataclass
class FooterFacts:
    """Ground truth of a rendered footer (as a browser would render it)."""

    icp: list[str] = field(default_factory=list)
    icp_linked: bool = False
    police: list[str] = field(default_factory=list)
    police_linked: bool = False
    site_code: str | None = None
    conac: bool = False
    sponsor_shown: str | None = None
    js_only: bool = False
    placeholders: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    missing_marks: list[str] = field(default_factory=list)  # gov_missing_marks: which ones
    number_in_image: bool = False


def _a(href: str, text: str) -> str:
    return f'<a href="{escape(href)}" target="_blank">{text}</a>'


def _icp_label(rng: random.Random) -> str:
    return rng.choice(("", "", "ICP备案号：", "备案号：", "网站备案号："))


def _police_display(police: str, rng: random.Random) -> str:
    m = POLICE_RE.match(police)
    assert m, police
    sep = rng.choice(("", " ", " "))
    return f"{m.group(1)}公网安备{sep}{m.group(2)}号"


def _police_badge(rng: random.Random) -> str:
    return rng.choice(
        (
            '<img src="/images/gaba.png" alt="" style="vertical-align:middle">',
            '<img src="/images/beian.png" alt="公安备案图标" width="18" height="18">',
            "",
        )
    )


def _conac_html(inp: FooterInput) -> str:
    colour = "blue" if inp.public_institution else "red"
    num = str(int(inp.conac_id[:8], 16) % 90000000 + 10000000)
    script_url = f"https://dcs.conac.cn/js/05/000/0000/{num}/CA05000000{num}0000.js"
    if inp.conac_style == "script":
        return (
            '<span id="_ideConac"></span>'
            f'<script type="text/javascript" src="{script_url}"></script>'
        )
    if inp.conac_style == "unescape":
        return (
            '<script type="text/javascript">document.write(unescape("%3Cspan id=\'_ideConac\' '
            f"%3E%3C/span%3E%3Cscript src='{script_url}' type='text/javascript'"
            '%3E%3C/script%3E"));</script>'
        )
    return (
        f'<a href="https://bszs.conac.cn/sitename?method=show&amp;id={inp.conac_id}" '
        f'target="_blank"><img src="https://dcs.conac.cn/image/{colour}.png" alt="党政机关" '
        'width="58" height="70"></a>'
    )


def _split_icp(icp: str, rng: random.Random) -> str:
    m = ICP_RE.match(icp)
    assert m, icp
    prov, digits, n = m.group(1), m.group(2), m.group(3)
    suffix = f"-{n}" if n else ""
    style = rng.randrange(4)
    if style == 0:
        return f"{prov}ICP备<span>{digits}</span>号{suffix}"
    if style == 1:
        return f"{prov}&nbsp;ICP&nbsp;备&nbsp;{digits}&nbsp;号{suffix}"
    if style == 2:
        return f"<span>{prov}ICP备</span><br><span>{digits}号{suffix}</span>"
    half = len(digits) // 2
    return f"{prov}ICP备<em>{digits[:half]}</em><em>{digits[half:]}</em>号{suffix}"


def _split_police(police: str, rng: random.Random) -> str:
    m = POLICE_RE.match(police)
    assert m, police
    prov, digits = m.group(1), m.group(2)
    style = rng.randrange(3)
    if style == 0:
        return f"{prov}公网安备<br>{digits}号"
    if style == 1:
        return f"{prov}公网安备 {digits[:4]} {digits[4:8]} {digits[8:]}号"
    return f"<span>{prov}公网安备</span> <span>{digits}</span><span>号</span>"


def _js_pieces(text: str, rng: random.Random) -> str:
    """A JavaScript expression that evaluates to text; its longest digit run is always cut."""
    run = max(re.findall(r"\d+", text), key=len)
    start = text.index(run)
    cuts = {start + len(run) // 2, *rng.sample(range(1, len(text)), min(2, len(text) - 1))}
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(text)), len(text)]
    return "+".join(f'"{text[a:b]}"' for a, b in itertools.pairwise(bounds) if b > a)


def render_footer(inp: FooterInput, kind: str, rng: random.Random) -> tuple[str, FooterFacts]:
    """The footer HTML of one site for one footer kind, and what it shows."""
    facts = FooterFacts()
    icp_m = ICP_RE.match(inp.icp)
    pol_m = POLICE_RE.match(inp.police)
    assert icp_m and pol_m
    pol_digits = pol_m.group(2)
    pol_href = police_url(pol_digits, inp.police_url_style)
    sep = rng.choice(("&nbsp;&nbsp;", "　", " | ", "<span class='sep'>|</span>"))
    icp_html = _icp_label(rng) + _a(inp.icp_url, inp.icp)
    pol_html = _a(pol_href, _police_badge(rng) + _police_display(inp.police, rng))
    lines: list[str] = []
    gov_block = ""
    numbers = ""
    sponsor_line = f"主办单位：{inp.sponsor}"

    def own_icp(linked: bool = True) -> None:
        facts.icp.append(inp.icp)
        facts.icp_linked = facts.icp_linked or linked

    def own_police(linked: bool = True) -> None:
        facts.police.append(inp.police)
        facts.police_linked = facts.police_linked or linked

    if kind == "compliant":
        numbers = icp_html + sep + pol_html
        own_icp()
        own_police()
    elif kind == "icp_only":
        numbers = icp_html
        own_icp()
    elif kind == "police_only":
        numbers = pol_html
        own_police()
    elif kind == "none":
        numbers = ""
    elif kind == "unlinked":
        dead = rng.choice(
            (
                '<a href="#">{}</a>',
                '<a href="javascript:;">{}</a>',
                '<a href="javascript:void(0)">{}</a>',
                '<a href="">{}</a>',
                "<span>{}</span>",
                "<a onclick=\"window.open('https://beian.miit.gov.cn/')\">{}</a>",
            )
        )
        numbers = dead.format(inp.icp) + sep + dead.format(_police_display(inp.police, rng))
        own_icp(linked=False)
        own_police(linked=False)
    elif kind == "placeholder":
        ph_icp = rng.choice(ICP_PLACEHOLDERS)
        ph_pol = rng.choice(POLICE_PLACEHOLDERS)
        parts = [_a(inp.icp_url, ph_icp)]
        facts.icp_linked = True
        facts.placeholders.append(ph_icp)
        if rng.random() < 0.7:
            parts.append(_a(police_url(re.sub(r"\D", "", ph_pol), "old"), ph_pol))
            facts.police_linked = True
            facts.placeholders.append(ph_pol)
        numbers = sep.join(parts)
    elif kind == "malformed":
        digits = icp_m.group(2)
        suffix = f"-{icp_m.group(3)}" if icp_m.group(3) else ""
        variant = rng.randrange(3)
        if variant == 0:  # a digit lost (8 -> 7 digits would read as an early short form)
            wrong = digits[:-1] if len(digits) == 10 else f"{digits}{rng.randrange(10)}"
            bad_icp = f"{icp_m.group(1)}ICP备{wrong}号{suffix}"
        elif variant == 1:  # a digit too many
            bad_icp = f"{icp_m.group(1)}ICP备{digits}{rng.randrange(10)}号{suffix}"
        else:  # no province's abbreviation
            bad_icp = f"{rng.choice(BAD_PROVINCE_PREFIXES)}ICP备{digits}号{suffix}"
        parts = [_a(inp.icp_url, bad_icp)]
        facts.icp_linked = True
        facts.malformed.append(bad_icp)
        if rng.random() < 0.5:
            # 13 or 15 digits (12 would be a legitimate pre-2016 number)
            bad_pol = f"{pol_m.group(1)}公网安备{pol_digits[:13]}号"
            if rng.random() < 0.4:
                bad_pol = f"{pol_m.group(1)}公网安备{pol_digits}{rng.randrange(10)}号"
            parts.append(_a(police_url(pol_digits, inp.police_url_style), bad_pol))
            facts.malformed.append(bad_pol)
            facts.police_linked = True
        else:
            parts.append(pol_html)
            own_police()
        numbers = sep.join(parts)
    elif kind == "split_tags":
        numbers = (
            _a(inp.icp_url, _split_icp(inp.icp, rng))
            + sep
            + _a(pol_href, _police_badge(rng) + _split_police(inp.police, rng))
        )
        own_icp()
        own_police()
    elif kind == "fullwidth":
        prov = icp_m.group(1)
        rest = inp.icp[1:]
        if rng.random() < 0.5:
            icp_fw = prov + rest.translate(FULLWIDTH)
        else:  # only the digits full-width
            icp_fw = prov + "ICP备" + rest[4:].translate(FULLWIDTH)
        pol_fw = f"{pol_m.group(1)}公网安备{pol_digits.translate(FULLWIDTH)}号"
        numbers = _a(inp.icp_url, icp_fw) + sep + _a(pol_href, pol_fw)
        own_icp()
        own_police()
    elif kind == "img_alt":
        numbers = (
            f'<a href="{escape(inp.icp_url)}" target="_blank"><img src="/images/icp.png" '
            f'alt="{inp.icp}" title="{inp.icp}" width="150" height="20"></a>'
        )
        if rng.random() < 0.5:
            numbers += sep + (
                f'<a href="{escape(pol_href)}" target="_blank"><img src="/images/gongan.png" '
                f'alt="{inp.police}" width="180" height="20"></a>'
            )
        else:
            numbers += sep + pol_html
        facts.number_in_image = True
        own_icp()
        own_police()
    elif kind == "js_written":
        icp_expr = _js_pieces(inp.icp, rng)
        pol_expr = _js_pieces(inp.police, rng)
        # The registry link is assembled too: the raw HTML must not carry the police digits.
        pol_base = police_url("", inp.police_url_style)
        url_expr = f"'{pol_base}'+{_js_pieces(pol_digits, rng)}"
        if rng.random() < 0.5:
            numbers = (
                '<span id="beian-info"></span><script type="text/javascript">'
                f"var icpNo={icp_expr};var gaNo={pol_expr};var gaUrl={url_expr};"
                "document.getElementById('beian-info').innerHTML="
                f'\'<a href="{inp.icp_url}" target="_blank">\'+icpNo+\'</a> '
                "<a href=\"'+gaUrl+'\" target=\"_blank\">'+gaNo+'</a>';</script>"
            )
        else:
            numbers = (
                '<script type="text/javascript">'
                f"document.write('<a href=\"{inp.icp_url}\" target=\"_blank\">'+{icp_expr}+'</a>');"
                f"document.write('&nbsp;<a href=\"'+{url_expr}+'\" target=\"_blank\">'+{pol_expr}"
                "+'</a>');</script>"
            )
        facts.js_only = True
        own_icp()
        own_police()
    elif kind in ("gov_full", "gov_missing_marks"):
        missing: list[str] = []
        if kind == "gov_missing_marks":
            missing = list(
                rng.choice(
                    (
                        ("site_code",),
                        ("badge",),
                        ("site_code", "badge"),
                        ("sponsor", "badge"),
                        ("sponsor", "site_code"),
                    )
                )
            )
        facts.missing_marks = missing
        label = rng.choice(("网站标识码", "网站标识码", "政府网站标识码", "标识码"))
        code_html = ""
        if "site_code" not in missing and inp.site_code:
            code_html = f"{label}：{inp.site_code}"
            facts.site_code = inp.site_code
        numbers = sep.join(x for x in (code_html, icp_html, pol_html) if x)
        own_icp()
        own_police()
        if "sponsor" not in missing:
            lines.append(f"{sponsor_line}　承办单位：{inp.organiser}")
            facts.sponsor_shown = inp.sponsor
        if "badge" not in missing:
            gov_block = f'<div class="conac">{_conac_html(inp)}</div>'
            facts.conac = True
        if facts.site_code and rng.random() < 0.5:
            gov_block += (
                f'<div class="jiucuo"><script id="_jiucuo_" sitecode="{inp.site_code}" '
                'src="https://zfwzgl.www.gov.cn/exposure/jiucuo.js"></script></div>'
            )
    else:
        raise ValueError(f"unknown footer kind {kind!r}")

    if kind not in ("gov_full", "gov_missing_marks") and inp.show_sponsor:
        lines.append(sponsor_line)
        facts.sponsor_shown = inp.sponsor
    copyright_line = f'<p class="copyright">{inp.marker}</p>'
    info = f"地址：{inp.address}　电话：{inp.phone}"
    if inp.extra_line:
        info += f"　{inp.extra_line}"
    body = [
        '<div class="footer-nav"><a href="/gywm/index.html">关于我们</a> | '
        '<a href="/lxwm/index.html">联系我们</a> | <a href="/wzdt/index.html">网站地图</a></div>',
        copyright_line,
        *(f"<p>{line}</p>" for line in lines),
    ]
    if numbers:
        body.append(f'<p class="beian">{numbers}</p>')
    body.append(f"<p>{info}</p>")
    html = '<div class="footer" id="footer">\n' + gov_block + "\n".join(body) + "\n</div>\n"
    if inp.template_dup and numbers and not facts.js_only:
        # Real sites keep a copy of the footer in a client-side template: not rendered.
        template = f'<p class="beian">{numbers}</p>'
        html += f'<script type="text/html" id="footer-tpl">\n{template}\n</script>\n'
    return html, facts
