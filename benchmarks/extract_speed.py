"""How fast is notice extraction on realistic homepages?

Generates Chinese news-portal-like homepages of about 100 KB (inline CSS and JS, a nav,
long news lists, a partner-link block, a footer with notices; some pages in GBK), then
measures pages per second on one core for:

- the whole path: ``extract_notices(bytes)`` = decode + parse + extract;
- extraction only: ``extract_from_tree(tree)`` on a tree parsed beforehand (what the
  crawler does, since it parses each page once anyway).

    .venv/bin/python benchmarks/extract_speed.py --pages 300

Target: >= 200 pages/s for the whole path.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.config import load_builtin_profile  # noqa: E402
from audit.notices import extract_from_tree, extract_notices, parse_html  # noqa: E402

_WORDS = (
    "运城 盐湖区 临猗县 政务 公开 通知 公告 关于 开展 工作 会议 召开 全市 经济 发展 项目 建设 推进"
    " 乡村 振兴 生态 环境 保护 教育 医疗 卫生 交通 安全 生产 检查 部署 学习 贯彻 精神 新闻 动态 图片"
    " 视频 专题 服务 办事 指南 政策 解读 互动 交流 领导 信息 人事 任免 财政 预算 统计 数据"
).split()

_CSS = "".join(
    f".m{i}{{margin:{i % 7}px;padding:{i % 5}px;color:#{i * 37 % 4096:03x};font-size:{12 + i % 6}px}}\n"
    for i in range(260)
)
_JS = "".join(
    f"function f{i}(a,b){{var x=a+b*{i};if(x>{i * 3}){{return x-{i}}}return document.title+x}}\n"
    for i in range(180)
)


def _title(rng: random.Random) -> str:
    return "".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14)))


def make_page(seed: int) -> str:
    rng = random.Random(seed)
    nav = "".join(
        f'<li class="nav-item"><a href="/col/col{i}/index.html">{rng.choice(_WORDS)}</a></li>'
        for i in range(40)
    )
    columns = []
    for column in range(14):
        items = "".join(
            f'<li><span class="date">2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</span>'
            f'<a href="/art/2025/{column}/{i}.html" title="{_title(rng)}" target="_blank">'
            f"{_title(rng)}</a></li>"
            for i in range(22)
        )
        columns.append(
            f'<div class="column m{column}"><div class="column-title"><h3>{_title(rng)[:8]}</h3>'
            f'<a class="more" href="/col/{column}/">更多</a></div><ul class="news-list">{items}</ul>'
            "</div>"
        )
    partners = "".join(
        f'<a href="http://www.site{i}.gov.cn/" target="_blank">{_title(rng)[:10]}</a>'
        for i in range(30)
    )
    index = rng.randint(1, 9)
    footer = (
        '<div class="footer"><div class="footer-inner">'
        '<p><a href="/about/">关于我们</a> | <a href="/map/">网站地图</a> | '
        '<a href="/contact/">联系我们</a></p>'
        "<p>主办单位：运城市人民政府办公室　承办：运城市大数据中心　地址：运城市盐湖区河东东街</p>"
        f'<p>网站标识码：1408000{seed % 1000:03d}　<a href="https://beian.miit.gov.cn/" '
        f'target="_blank">晋ICP备{2010 + seed % 14}{seed % 1000000:06d}号-{index}</a>　'
        f'<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=1408020200{seed % 10000:04d}"'
        f' target="_blank"><img src="/images/ga.png">晋公网安备 1408020200{seed % 10000:04d}号</a></p>'
        '<p><span id="_ideConac"></span><script type="text/javascript" '
        'src="https://dcs.conac.cn/js/05/000/0000/40683582/CA050000000406835820001.js"></script>'
        "</p></div></div>"
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta name="SiteIDCode" content="1408000{seed % 1000:03d}">'
        f"<title>运城市人民政府 {_title(rng)}</title><style>{_CSS}</style>"
        f"<script>{_JS}</script></head><body>"
        f'<div class="header"><div class="logo"><img src="/logo.png" alt="运城市人民政府"></div>'
        f'<ul class="nav">{nav}</ul></div>'
        f'<div class="main">{"".join(columns)}</div>'
        f'<div class="friend-links"><h3>友情链接</h3>{partners}</div>'
        f"{footer}<script>var _hmt=_hmt||[];(function(){{var hm=1;}})();</script></body></html>"
    )


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="pages to generate and extract")
    args = parser.parse_args()

    profile = load_builtin_profile("yuncheng")
    pages: list[bytes] = []
    for seed in range(args.pages):
        html = make_page(seed)
        # One page in four is served as GBK without a charset declaration.
        if seed % 4 == 3:
            pages.append(html.replace('<meta charset="utf-8">', "").encode("gbk"))
        else:
            pages.append(html.encode("utf-8"))
    size = sum(len(p) for p in pages) / len(pages)

    # Warm up (the GB/T 2260 table loads on first use).
    extract_notices(pages[0], "https://www.yuncheng.gov.cn/", profile=profile)

    start = time.perf_counter()
    found = 0
    for page in pages:
        notices = extract_notices(page, "https://www.yuncheng.gov.cn/", profile=profile)
        found += len(notices.icp) + len(notices.police)
    whole = time.perf_counter() - start

    trees = [parse_html(p.decode("utf-8", "replace")) for p in pages]
    start = time.perf_counter()
    for tree in trees:
        assert tree is not None
        extract_from_tree(tree, "https://www.yuncheng.gov.cn/", profile=profile)
    only = time.perf_counter() - start

    start = time.perf_counter()
    for page in pages:
        parse_html(page.decode("utf-8", "replace"))
    parse = time.perf_counter() - start

    print(f"pages: {len(pages)}, mean size {size / 1024:.1f} KiB, notices found: {found}")
    print(f"extract_notices(bytes) decode+parse+extract: {_rate(len(pages), whole):8.1f} pages/s")
    print(f"extract_from_tree(tree) extract only:        {_rate(len(pages), only):8.1f} pages/s")
    print(f"(parse alone, for reference:                 {_rate(len(pages), parse):8.1f} pages/s)")


if __name__ == "__main__":
    main()
