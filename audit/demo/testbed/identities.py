"""Who each planned site is: its name, sponsor, host, district and level.

Candidates are drawn from the profile's places and the name tables of
:mod:`audit.demo.testbed.content`, from the planner's random stream: the draws are part
of the plan's one sequence. Two candidates may collide; the planner keeps the first and asks
again.
"""

from __future__ import annotations

import random
from typing import Any

from audit.config import Profile
from audit.demo.testbed import content as C


class Identities:
    """Candidate identities of the sites of one jurisdiction, one category at a time."""

    def __init__(self, profile: Profile, rng: random.Random) -> None:
        self.profile = profile
        self.rng = rng
        self.divisions = list(profile.divisions.items())
        if not self.divisions:
            raise ValueError("the profile has no divisions")
        self.city = profile.name
        self.gov_suffix = (
            profile.gov_domain_suffixes[0]
            if profile.gov_domain_suffixes
            else f"{C.place_slug(profile.name, profile.division_prefix)}.gov.cn"
        )
        city_slug = C.place_slug(profile.name, profile.division_prefix)
        self.ci = "yc" if city_slug == "yuncheng" else self.gov_suffix.split(".")[0][:3]

    def district(self, seat_weight: float = 3.0) -> tuple[str, str]:
        weights = [seat_weight if i == 0 else 1.0 for i in range(len(self.divisions))]
        code, name = self.rng.choices(self.divisions, weights)[0]
        return name, code

    def candidate(self, category: str, serial: int) -> dict[str, Any]:
        """One (name, host, ...) candidate of a category; may collide, the caller retries."""
        rng = self.rng
        city, ci, suffix = self.city, self.ci, self.gov_suffix
        seat_name, seat_code = self.divisions[0][1], self.divisions[0][0]
        d_name, d_code = self.district()
        dslug = C.place_slug(d_name, d_code)
        dshort = C.short_place(d_name)
        ab, abp = C.name_pair(rng)
        gov = dict(government=True, public_institution=False)
        plain = dict(government=False, public_institution=False)
        if category == "政府机关":
            if serial == 0:
                return dict(
                    name=f"{city}人民政府", sponsor=f"{city}人民政府办公室",
                    host=f"www.{suffix}", district=seat_name, code=seat_code, key=True, city=True,
                    **gov,
                )  # fmt: skip
            if serial <= len(self.divisions):
                code, name = self.divisions[serial - 1]
                full = f"{city}{name}人民政府" if name.endswith("区") else f"{name}人民政府"
                return dict(
                    name=full, sponsor=f"{full}办公室",
                    host=f"www.{C.place_slug(name, code)}.{suffix}",
                    district=name, code=code, key=True, **gov,
                )  # fmt: skip
            roll = rng.random()
            bureau, abbr = rng.choice(C.BUREAUS)
            if roll < 0.3:
                name = f"{city}{bureau}"
                return dict(
                    name=name, sponsor=name, host=f"{abbr}.{suffix}", district=seat_name,
                    code=seat_code, key=rng.random() < 0.3, city=True, **gov,
                )  # fmt: skip
            if roll < 0.7:
                name = f"{d_name}{bureau}"
                return dict(
                    name=name, sponsor=name, host=f"{abbr}.{dslug}.{suffix}", district=d_name,
                    code=d_code, key=rng.random() < 0.1, **gov,
                )  # fmt: skip
            return self.township(d_name, d_code)
        if category == "事业单位":
            inst, abbr = rng.choice(C.INSTITUTIONS)
            roll = rng.random()
            pub = dict(public_institution=True)
            if roll < 0.35:
                name = f"{city}{inst}"
                host = f"{abbr}.{suffix}" if rng.random() < 0.5 else f"www.{ci}{abbr}.org.cn"
                return dict(
                    name=name, sponsor=name, host=host, district=seat_name, code=seat_code,
                    key=rng.random() < 0.3, government=host.endswith(suffix), city=True, **pub,
                )  # fmt: skip
            if roll < 0.7:
                name = f"{d_name}{inst}"
                host = f"{abbr}.{dslug}.{suffix}" if rng.random() < 0.5 else f"www.{dslug}{abbr}.cn"
                return dict(
                    name=name, sponsor=name, host=host, district=d_name, code=d_code,
                    key=rng.random() < 0.1, government=host.endswith(suffix), **pub,
                )  # fmt: skip
            kind, kslug = rng.choice((("卫生院", "wsy"), ("农业综合服务中心", "nyfw"),
                                      ("便民服务中心", "bmfw")))  # fmt: skip
            name = f"{d_name}{ab}镇{kind}"
            return dict(
                name=name, sponsor=name, host=f"www.{dslug}{abp}{kslug}.cn", district=d_name,
                code=d_code, key=False, government=False, **pub,
            )  # fmt: skip
        if category == "学校":
            roll = rng.random()
            num = rng.randint(1, 20)
            if roll < 0.2:
                name, host = f"{city}第{C.numeral(num)}中学", f"www.{ci}{num}zx.cn"
                district, code = seat_name, seat_code
            elif roll < 0.45:
                name, host = f"{d_name}第{C.numeral(num)}中学", f"www.{dslug}{num}z.com"
                district, code = d_name, d_code
            elif roll < 0.7:
                name, host = f"{d_name}{ab}小学", f"www.{dslug}{abp}xx.cn"
                district, code = d_name, d_code
            elif roll < 0.8:
                kind, kslug = rng.choice((("实验中学", "syzx"), ("实验小学", "syxx"),
                                          ("职业中学", "zz"), ("特殊教育学校", "tj")))  # fmt: skip
                name, host = f"{d_name}{kind}", f"www.{dslug}{kslug}.com.cn"
                district, code = d_name, d_code
            elif roll < 0.9:
                name, host = f"{city}{ab}职业技术学院", f"www.{ci}{abp}.edu.cn"
                district, code = seat_name, seat_code
            else:
                name, host = f"{dshort}{ab}幼儿园", f"www.{dslug}{abp}yey.com"
                district, code = d_name, d_code
            return dict(
                name=name, sponsor=name, host=host, district=district, code=code,
                key=rng.random() < 0.15, **plain,
            )  # fmt: skip
        if category == "医院":
            roll = rng.random()
            if roll < 0.15:
                num = rng.randint(1, 6)
                name, host = f"{city}第{C.numeral(num)}人民医院", f"www.{ci}{num}yy.com"
                district, code = seat_name, seat_code
            elif roll < 0.55:
                kind, kslug = rng.choice((("人民医院", "rmyy"), ("中医医院", "zyy"),
                                          ("妇幼保健院", "fybj")))  # fmt: skip
                name, host = f"{d_name}{kind}", f"www.{dslug}{kslug}.cn"
                district, code = d_name, d_code
            else:
                kind, kslug = rng.choice((("医院", "yy"), ("口腔医院", "kq"), ("眼科医院", "yk"),
                                          ("骨科医院", "gk")))  # fmt: skip
                name, host = f"{C.short_place(city)}{ab}{kind}", f"www.{ci}{abp}{kslug}.com"
                district, code = d_name, d_code
            return dict(
                name=name, sponsor=name, host=host, district=district, code=code,
                key=rng.random() < 0.4, **plain,
            )  # fmt: skip
        if category == "企业":
            ind, islug = rng.choice(C.INDUSTRIES)
            roll = rng.random()
            form = "股份有限公司" if rng.random() < 0.15 else "有限公司"
            if roll < 0.4:
                name, host = (
                    f"{self.profile.province[:2]}{ab}{ind}{form}",
                    f"www.sx{abp}{islug}.com",
                )
            elif roll < 0.75:
                name, host = f"{city}{ab}{ind}{form}", f"www.{ci}{abp}{islug}.cn"
            else:
                name, host = f"{dshort}{ab}{ind}{form}", f"www.{abp}{islug}.com.cn"
            return dict(
                name=name, sponsor=name, host=host, district=d_name, code=d_code,
                key=rng.random() < 0.08, **plain,
            )  # fmt: skip
        if category == "新闻媒体":
            roll = rng.random()
            if roll < 0.4:
                name, host = f"{d_name}融媒体中心", f"www.{dslug}rmt.cn"
            elif roll < 0.7:
                name, host = f"{C.short_place(city)}{ab}网", f"www.{ci}{abp}.com"
            else:
                name, host = f"{dshort}{ab}新闻网", f"www.{dslug}{abp}news.com"
            return dict(
                name=name, sponsor=name, host=host, district=d_name, code=d_code,
                key=rng.random() < 0.5, **plain,
            )  # fmt: skip
        # 社会组织
        roll = rng.random()
        if roll < 0.4:
            trade, tslug = rng.choice(C.TRADES)
            kind, kslug = rng.choice((("协会", "xh"), ("学会", "xueh")))
            name, host = f"{city}{trade}{kind}", f"www.{ci}{tslug}{kslug}.org.cn"
        elif roll < 0.6:
            kind, kslug = rng.choice((("慈善总会", "csh"), ("红十字会", "hszh"),
                                      ("志愿者协会", "zyz")))  # fmt: skip
            name, host = f"{d_name}{kind}", f"www.{dslug}{kslug}.org.cn"
        else:
            name, host = f"{city}{ab}商会", f"www.{ci}{abp}sh.org"
        return dict(
            name=name, sponsor=name, host=host, district=d_name, code=d_code,
            key=rng.random() < 0.05, **plain,
        )  # fmt: skip

    def township(self, d_name: str, d_code: str) -> dict[str, Any]:
        ab, abp = C.name_pair(self.rng)
        kind = self.rng.choice(("镇", "镇", "乡", "街道办事处"))
        name = f"{d_name}{ab}{kind}" + ("" if kind.endswith("处") else "人民政府")
        return dict(
            name=name, sponsor=name, host=f"{abp}.{C.place_slug(d_name, d_code)}.{self.gov_suffix}",
            district=d_name, code=d_code, key=False, government=True, public_institution=False,
        )  # fmt: skip

    def outside(self) -> tuple[str, dict[str, Any]]:
        """An out-of-inventory candidate and its category: a township or a department site
        under the government suffix."""
        d_name, d_code = self.district(seat_weight=1.0)
        if self.rng.random() < 0.7:
            return "政府机关", self.township(d_name, d_code)
        inst, abbr = self.rng.choice(C.INSTITUTIONS)
        name = f"{d_name}{inst}"
        slug = C.place_slug(d_name, d_code)
        return "事业单位", dict(
            name=name, sponsor=name, host=f"{abbr}.{slug}.{self.gov_suffix}",
            district=d_name, code=d_code, key=False, government=True,
            public_institution=True,
        )  # fmt: skip
