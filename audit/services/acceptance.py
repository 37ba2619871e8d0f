"""Accepting discovered sites into the regular crawl (beian sites accept, the demo, the web
console): the acceptance, and the district each gets when something says which it is."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from audit.config import Profile
from audit.store import Session
from audit.store import sites as store_sites

_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class Accepted:
    accepted: list[str]
    already: list[str]
    unknown: list[str]
    # host -> district, for the accepted sites that had none and whose host (a county's
    # domain) or public-security number (its division code) says which
    districts: dict[str, str] = field(default_factory=dict)


def accept_discovered(
    session: Session,
    hosts: Iterable[str],
    *,
    by: str,
    profile: Profile,
    now: dt.datetime | None = None,
) -> Accepted:
    done = store_sites.accept_sites(session, hosts, by=by, now=now)
    blank = store_sites.without_district(session, done.accepted)
    numbers = store_sites.police_numbers_shown(session, set(blank.values()))
    districts: dict[str, str] = {}
    for host, site_id in blank.items():
        codes = [m.group() for n in numbers.get(site_id, []) if (m := _CODE.search(n))]
        if district := profile.district_of(host, codes):
            districts[host] = district
    store_sites.set_districts(session, districts)
    return Accepted(done.accepted, done.already, done.unknown, districts)
