"""GB/T 2260 look-up (with retired codes) and the province abbreviations of filing numbers.

The table ships as ``audit/data/gb2260.csv`` (see ``audit/data/SOURCE.md``) and is read
once, on first use.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Two-digit province code -> the abbreviations used in filing numbers. The first one is
# what a police number uses (川 贵 甘 for 四川 贵州 甘肃); ICP numbers use 蜀 黔 陇 there.
PROVINCE_ABBRS: dict[str, tuple[str, ...]] = {
    "11": ("京",),
    "12": ("津",),
    "13": ("冀",),
    "14": ("晋",),
    "15": ("蒙",),
    "21": ("辽",),
    "22": ("吉",),
    "23": ("黑",),
    "31": ("沪",),
    "32": ("苏",),
    "33": ("浙",),
    "34": ("皖",),
    "35": ("闽",),
    "36": ("赣",),
    "37": ("鲁",),
    "41": ("豫",),
    "42": ("鄂",),
    "43": ("湘",),
    "44": ("粤",),
    "45": ("桂",),
    "46": ("琼",),
    "50": ("渝",),
    "51": ("川", "蜀"),
    "52": ("贵", "黔"),
    "53": ("滇", "云"),
    "54": ("藏",),
    "61": ("陕",),
    "62": ("甘", "陇"),
    "63": ("青",),
    "64": ("宁",),
    "65": ("新",),
}
PROVINCE_OF_ABBR: dict[str, str] = {
    abbr: prefix for prefix, abbrs in PROVINCE_ABBRS.items() for abbr in abbrs
}
# Every character that can open a filing number.
ABBR_CHARS = "".join(PROVINCE_OF_ABBR)
# Full names, which some footers write instead of the abbreviation (广东省ICP备…).
PROVINCE_NAMES: dict[str, str] = {
    "北京": "11", "天津": "12", "河北": "13", "山西": "14", "内蒙古": "15", "辽宁": "21",
    "吉林": "22", "黑龙江": "23", "上海": "31", "江苏": "32", "浙江": "33", "安徽": "34",
    "福建": "35", "江西": "36", "山东": "37", "河南": "41", "湖北": "42", "湖南": "43",
    "广东": "44", "广西": "45", "海南": "46", "重庆": "50", "四川": "51", "贵州": "52",
    "云南": "53", "西藏": "54", "陕西": "61", "甘肃": "62", "青海": "63", "宁夏": "64",
    "新疆": "65",
}  # fmt: skip
# English names, which English and bilingual footers give (Beijing ICP No. …).
PROVINCE_ENGLISH: dict[str, str] = {
    "beijing": "11", "tianjin": "12", "hebei": "13", "shanxi": "14", "inner mongolia": "15",
    "liaoning": "21", "jilin": "22", "heilongjiang": "23", "shanghai": "31", "jiangsu": "32",
    "zhejiang": "33", "anhui": "34", "fujian": "35", "jiangxi": "36", "shandong": "37",
    "henan": "41", "hubei": "42", "hunan": "43", "guangdong": "44", "guangxi": "45",
    "hainan": "46", "chongqing": "50", "sichuan": "51", "guizhou": "52", "yunnan": "53",
    "tibet": "54", "xizang": "54", "shaanxi": "61", "gansu": "62", "qinghai": "63",
    "ningxia": "64", "xinjiang": "65",
}  # fmt: skip
# Pinyin of the abbreviations (Yue ICP No. …, E Gongwang Anbei …). Jin (津 晋), Ji (冀 吉),
# Gan (赣 甘), Yu (豫 渝), Gui (桂 贵) and Shan name no one province: left out.
PROVINCE_PINYIN: dict[str, str] = {
    "jing": "11", "meng": "15", "liao": "21", "hei": "23", "hu": "31", "su": "32",
    "zhe": "33", "wan": "34", "min": "35", "lu": "37", "e": "42", "xiang": "43", "yue": "44",
    "qiong": "46", "chuan": "51", "shu": "51", "qian": "52", "dian": "53", "yun": "53",
    "zang": "54", "long": "62", "qing": "63", "ning": "64", "xin": "65",
}  # fmt: skip
# ICP numbers use 蜀 黔 陇 where police numbers use 川 贵 甘 (FILING-RULES.md).
_ICP_ABBR = {"51": "蜀", "52": "黔", "62": "陇"}


def province_prefix(abbr: str | None) -> str | None:
    """'晋' -> '14'; '蜀' and '川' -> '51'. None for anything else."""
    return PROVINCE_OF_ABBR.get(abbr or "")


def icp_abbr(province_code: str) -> str | None:
    """The abbreviation an ICP number of this province carries ('51' -> '蜀')."""
    return _ICP_ABBR.get(province_code[:2]) or police_abbr(province_code)


def police_abbr(province_code: str) -> str | None:
    """The abbreviation a police number of this province carries ('51' -> '川')."""
    abbrs = PROVINCE_ABBRS.get(province_code[:2])
    return abbrs[0] if abbrs else None


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    start_year: int
    retired_year: int | None  # None while the code is in force
    statistical: bool  # a row of the statistical lists (市辖区, development zones)

    @property
    def full_name(self) -> str:
        """Province, prefecture and own name as of the code's time: 山西省运城市盐湖区."""
        parts = []
        for prefix in (self.code[:2] + "0000", self.code[:4] + "00"):
            if prefix == self.code:
                break
            parent = lookup(prefix)
            if parent is not None and not parent.statistical and parent.name not in parts:
                parts.append(parent.name)
        parts.append(self.name)
        return "".join(parts)


@cache
def _table() -> dict[str, Division]:
    text = resources.files("audit").joinpath("data", "gb2260.csv").read_text("utf-8")
    rows = csv.reader(io.StringIO(text))
    table: dict[str, Division] = {}
    for row in rows:
        if not row or not row[0].isdigit():
            continue  # the comment line and the header
        code, name, start, end, kind = row
        table[code] = Division(
            code=code,
            name=name,
            start_year=int(start),
            retired_year=int(end) if end else None,
            statistical=kind == "statistical",
        )
    return table


def lookup(code: str) -> Division | None:
    """The GB/T 2260 entry of a six-digit code, retired ones included; None if never listed."""
    return _table().get(code)


def is_province_code(prefix: str) -> bool:
    return prefix[:2] in PROVINCE_ABBRS or prefix[:2] in {"71", "81", "82"}
