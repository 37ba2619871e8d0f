"""Filing-notice extraction: what a visitor sees at the bottom of a homepage.

ICP filing numbers, ICP and telecom licences, public-security (police) numbers, the
government website identifier (网站标识码), the conac badge and the sponsor (主办单位), each
normalised, validated and tied to where it was found and what it links to.

    >>> from audit.notices import extract_notices
    >>> page = '<div class="footer"><a href="https://beian.miit.gov.cn/">晋ICP备2021004567号-1</a></div>'
    >>> notices = extract_notices(page, "https://www.example.gov.cn/")
    >>> notices.numbers("icp"), notices.icp[0].linked, notices.icp[0].confidence
    (['晋ICP备2021004567号-1'], True, 'high')

The crawler, which parses each page once, calls ``extract_from_tree(tree, url)`` and
``footer_text(tree)`` with its own tree instead.

Conventions (shared with the labelled corpora, see tests/data/footers and
../shared/real-footers/README.md):

- Placeholders (xxxxxxxx, 12345678, all-zero serials, a theme's default such as
  京公网安备11000000000001号, unrendered ``{$icp}`` / ``{{ icp }}`` / ``<?php echo $icp ?>``)
  stay in the lists with ``placeholder=True``, ``valid=False`` and the reason
  "placeholder" (plus "template_variable"), so that an audit can report "shows a
  placeholder". ``Notices.numbers(kind)`` leaves them out: it is what a filing count uses.
  A template variable is dropped when the same list also has a real number (a client-side
  template that a script fills in). Also placeholders: 省/某 in place of the province,
  digits nobody is issued (0s and 1s, round numbers, 20230001, a one-digit police
  serial), a police number whose code neither exists nor matches its prefix, and a
  malformed number on a page whose other numbers are all placeholders. A prefix that is
  no province's (署ICP备…号) is a placeholder too; 萌ICP备, 茶ICP备 and other fan
  registries (a non-province prefix linking to another site) are not notices at all.
- A number a digit off (陕公网安备6101960200052, 网站标识码：310000000044) is listed as
  shown, invalid, with "digit_count": a malformed filing, not silently dropped. After any
  police label (公网安备 and its typos, 公网监备案证, 公安局备案编号, 海淀分局备案) 10 to 15
  digits that open with a province's code are a (malformed or older) police number;
  fewer than ten digits are none.
- Numbers written in English are read where the notice names the province (Beijing ICP
  No. 2026006343, ICP License No. 15058768 by Jiangsu …, Shanghai Public Network
  Security No. 31010402003255), or in pinyin by its abbreviation (Yue ICP B No. …, E
  Gongwang Anbei …; not Jin, Ji, Gan, Yu or Gui, which name two provinces); without one
  they say nothing checkable.
- A template variable a constant of the page defines (赣公网安备 {code} 号 beside
  ``const code = "3611…"``) shows that constant's digits; an empty constant shows nothing.
  Numbers a test asserts (``expect(…).toBe('京ICP备…')``) and records of a data list that
  name other sites with their numbers are not the page's.
- A licence-shaped number with a site index (粤B2-20090191-2, 京ICP证030173号-1) is the
  site's filing number and goes to ``icp`` (``form`` says its shape); without one it is a
  licence (``icp_licence``).
- A police number without a province prefix, or under a city's character (穗, 哈) or
  another name of its province (蜀, 云), takes its code's province's police abbreviation
  (川, 滇); a province that contradicts the code is kept as shown, with
  "province_code_mismatch".
- ``linked``: an <a> around the number (or an image-only link right beside it, or a URL
  in the same JSON object) whose href is the number's own registry: beian.miit.gov.cn
  (retired miitbeian.gov.cn / miibeian.gov.cn count, with ``link_outdated``) for ICP
  numbers, beian.gov.cn / beian.mps.gov.cn for police numbers. ``#``, empty,
  ``javascript:`` targets, click and tap handlers (a Flutter widget has no hrefs) and an
  href without a scheme (a path on the site itself) do not count. ``link_registry`` names the
  registry a number links to even when it is the wrong one.
  A Markdown link ``[京ICP备…](https://beian.miit.gov.cn/)``, a link component
  (``<Link href>``, ``<n-button href>``, ``<Button component="a" href>``, ``:href``, a JSX
  ``links={[{title, href}]}`` array) and a police-registry link anywhere on the page whose
  record code is the number also link it.
- An image-map ``<area>`` links a number only when its own alt/title is that number; a
  hotspot labelled 网站备案查询 beside a plain-text number does not (real footer 004), but
  it is kept in ``Notices.registry_links``. ``Notices.links_icp_registry`` and
  ``links_police_registry`` say whether the page links the registry at all: any such
  href, a registry URL a script or config makes a link of (not one only a click handler
  opens), a Markdown link.
- The conac badge is a link to bszs.conac.cn or the dcs.conac.cn script (also written by
  ``document.write(unescape(…))``), not its image, nor a copy of the script on the site's
  own host.
- What is never shown is not read: HTML and template comments (JSP/ASP ``<%-- --%>``,
  FreeMarker ``<#-- -->``, JSX ``{/* */}``, Jinja/Twig ``{# #}``, Smarty ``{* *}``, Razor
  ``@* *@``), a script's commented-out lines and trailing ``//`` comments, and a notice
  its config turns off (``beian: {enable: false, …}``).
- Numbers that are not the page's own are left out (and listed in ``Notices.rejected``):
  numbers in an article, in a partner list (友情链接, 合作单位; list items with different
  numbers; links to two or more other sites), or introduced as another's ("备案号为…").
"""

from audit.notices.extract import extract_from_tree, extract_notices, parse_html
from audit.notices.footer import footer_text
from audit.notices.model import (
    ConacBadge,
    IcpNumber,
    Licence,
    Notices,
    PoliceNumber,
    RegistryLink,
    Rejected,
    SiteCode,
    Sponsor,
)

__all__ = [
    "ConacBadge",
    "IcpNumber",
    "Licence",
    "Notices",
    "PoliceNumber",
    "RegistryLink",
    "Rejected",
    "SiteCode",
    "Sponsor",
    "extract_from_tree",
    "extract_notices",
    "footer_text",
    "parse_html",
]
