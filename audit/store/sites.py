"""Sites: adding one, importing many from the inventory, accepting discovered ones,
listing, looking up ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.orm import Session

from audit.store.models import CrawlRun, Link, Notice, PageBody, Site, Snapshot, utcnow
from audit.store.runs import NEWEST_FIRST
from audit.store.upsert import upsert

# The fields an analyst's inventory describes a site with.
DESCRIPTIVE_FIELDS = ("name", "sponsor", "district", "category", "key_unit")
INVENTORY = "inventory"  # accepted_by of the sites the inventory lists
# A site discovered through links that awaits an analyst's acceptance (beian sites accept):
# crawled only in the run that discovered it, judged by no rule, counted by no bulletin.
PENDING = and_(Site.source == "discovered", Site.accepted_at.is_(None))
_LOOKUP_CHUNK = 5000  # hosts per IN (...): well under both backends' parameter limits


@dataclass(frozen=True)
class ImportCounts:
    inserted: int
    updated: int
    unchanged: int
    # (host, start URL before, start URL now) of the sites whose address changed: an
    # http site now https, a new port or path, reported rather than folded into "updated"
    moved: tuple[tuple[str, str, str], ...] = ()


def import_inventory_sites(
    session: Session,
    sites: Sequence[Mapping[str, Any]],
    *,
    fields: Collection[str] = DESCRIPTIVE_FIELDS,
    now: dt.datetime | None = None,
) -> ImportCounts:
    """Upsert inventory sites on their host; count inserted, updated and unchanged.

    Each mapping has host, registrable_domain, start_url and the DESCRIPTIVE_FIELDS.
    Only the ``fields`` given (the columns the file has) overwrite existing sites;
    every site becomes source 'inventory' at depth 0, accepted (a pending discovered
    site listed in the inventory is accepted by it). first_seen, last_seen,
    discovered_from and an earlier acceptance of existing sites are left alone.
    Unchanged sites are not written, so a re-import is cheap and changes nothing.
    """
    unknown = set(fields) - set(DESCRIPTIVE_FIELDS)
    if unknown:
        raise ValueError(f"not descriptive fields: {sorted(unknown)}")
    hosts = [site["host"] for site in sites]
    if len(set(hosts)) != len(hosts):
        raise ValueError("duplicate hosts in one import")  # ON CONFLICT cannot update twice
    compared = ["registrable_domain", "start_url", *fields]
    # One query for what is there: cheaper than per-host lookups for 100,000 rows.
    existing = {
        row.host: row
        for row in session.execute(
            select(
                Site.host,
                Site.source,
                Site.discovery_depth,
                Site.retired_at,
                Site.accepted_at,
                Site.accepted_by,
                *(Site.__table__.c[c] for c in compared),
            )
        )
    }
    now = now or utcnow()
    inserted = updated = unchanged = 0
    moved: list[tuple[str, str, str]] = []
    writes: list[dict[str, Any]] = []
    for site in sites:
        old = existing.get(site["host"])
        if old is not None and old.start_url and old.start_url != site["start_url"]:
            moved.append((site["host"], old.start_url, site["start_url"]))
        if old is None:
            inserted += 1
        elif (
            old.source == "inventory"
            and old.discovery_depth == 0
            and old.retired_at is None
            and old.accepted_at is not None
            and all(
                getattr(old, c) == site[c]
                for c in compared
                if not (c == "key_unit" and site.get(c) is None)  # None keeps the site's
            )
        ):
            unchanged += 1
            continue
        else:
            updated += 1
        writes.append(
            {
                "host": site["host"],
                "registrable_domain": site["registrable_domain"],
                "start_url": site["start_url"],
                **{name: site.get(name) for name in DESCRIPTIVE_FIELDS},
                # (None: the file's cell was unreadable: the site keeps what it had)
                "key_unit": bool(
                    site["key_unit"]
                    if site.get("key_unit") is not None
                    else old is not None and getattr(old, "key_unit", False)
                ),
                "source": "inventory",
                "discovered_from": None,
                "discovery_depth": 0,
                "first_seen": now,  # new sites only: not in the update list
                "last_seen": now,
                "retired_at": None,  # a removed site listed again comes back
                **_accepted(old, now, INVENTORY),
            }
        )
    upsert(
        session,
        Site.__table__,
        writes,
        key=["host"],
        update=[*compared, "source", "discovery_depth", "retired_at", *ACCEPTANCE],
    )
    return ImportCounts(inserted=inserted, updated=updated, unchanged=unchanged, moved=tuple(moved))


def add_site(
    session: Session,
    start_url: str,
    host: str,
    *,
    registrable_domain: str | None = None,
    name: str | None = None,
    sponsor: str | None = None,
    district: str | None = None,
    category: str | None = None,
    key_unit: bool | None = None,
    source: str = "inventory",
    discovered_from: str | None = None,
    discovery_depth: int = 0,
) -> Site:
    """Insert or update one site (``beian sites add``) and return it.

    ``start_url`` and ``host`` are normalised already (``audit.page.domains.normalise_url``).
    For an existing inventory addition, the values given overwrite and those left None
    stay as they are; a discovered site becomes an inventory one, accepted. Adding a site
    as 'discovered' (pending acceptance) never changes a site the store already has.
    """
    if source not in ("inventory", "discovered"):
        raise ValueError(f"source must be 'inventory' or 'discovered', not {source!r}")
    if registrable_domain is None:
        from audit.page.domains import registrable_domain as domain_of

        registrable_domain = domain_of(host)
    given = {
        "name": name,
        "sponsor": sponsor,
        "district": district,
        "category": category,
        "key_unit": key_unit,
    }
    now = utcnow()
    old = session.execute(
        select(Site.accepted_at, Site.accepted_by).where(Site.host == host)
    ).first()
    row = {
        "host": host,
        "registrable_domain": registrable_domain,
        "start_url": start_url,
        **given,
        "key_unit": bool(key_unit),
        "source": source,
        "discovered_from": discovered_from if source == "discovered" else None,
        "discovery_depth": discovery_depth if source == "discovered" else 0,
        "first_seen": now,
        "last_seen": now,
        "retired_at": None,
        **(_accepted(old, now, INVENTORY) if source == "inventory" else {}),
    }
    update: list[str] = []
    if source == "inventory":
        update = ["registrable_domain", "start_url", "source", "discovery_depth", "retired_at"]
        update += [*ACCEPTANCE, *(field for field, value in given.items() if value is not None)]
    upsert(session, Site.__table__, [row], key=["host"], update=update)
    # populate_existing: a Site already in this session must show what was just written.
    statement = select(Site).where(Site.host == host).execution_options(populate_existing=True)
    return session.scalars(statement).one()


def list_sites(
    session: Session,
    *,
    district: str | None = None,
    category: str | None = None,
    source: str | None = None,
    host_contains: str | None = None,
    number: str | None = None,
    limit: int | None = None,
    retired: bool = False,
    pending: bool = False,
) -> list[Site]:
    """Sites matching every filter given, by district (sites without one last), then host;
    the sites taken out of the inventory only with ``retired``; with ``pending``, only the
    discovered sites that await acceptance.

    ``number``: a normalised filing number the site's latest snapshot shows; a number
    without a site index (晋ICP备2021001234号) also finds its sites' numbers (…号-1, …号-2).
    """
    statement = select(Site)
    if not retired:
        statement = statement.where(Site.retired_at.is_(None))
    if number:
        # each site's snapshot of the run dated last (not the one written last)
        rank = func.row_number().over(partition_by=Snapshot.site_id, order_by=NEWEST_FIRST)
        ranked = (
            select(Snapshot.id, rank.label("rank"))
            .join(CrawlRun, CrawlRun.id == Snapshot.run_id)
            .subquery()
        )
        latest = select(ranked.c.id).where(ranked.c.rank == 1)
        shows = or_(Notice.number == number, Notice.number.startswith(f"{number}-"))
        statement = statement.where(
            Site.id.in_(
                select(Snapshot.site_id)
                .join(Notice, Notice.set_id == Snapshot.notice_set_id)
                .where(shows, Snapshot.id.in_(latest))
            )
        )
    if district is not None:
        statement = statement.where(Site.district == district)
    if category is not None:
        statement = statement.where(Site.category == category)
    if source is not None:
        statement = statement.where(Site.source == source)
    if pending:
        statement = statement.where(PENDING)
    if host_contains:
        statement = statement.where(Site.host.contains(host_contains.lower(), autoescape=True))
    district_order: Any = Site.district
    host_order: Any = Site.host
    if session.get_bind().dialect.name == "postgresql":
        # Code-point order, as SQLite sorts: the same listing whatever the server's locale.
        district_order, host_order = Site.district.collate("C"), Site.host.collate("C")
    statement = statement.order_by(Site.district.is_(None), district_order, host_order)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def site_ids_by_host(session: Session, hosts: Iterable[str]) -> dict[str, int]:
    """The id of each of these hosts that the store has (absent hosts are left out)."""
    wanted = sorted(set(hosts))
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        statement = select(Site.host, Site.id).where(Site.host.in_(chunk))
        # A Result has .keys(): dict.update would take it for a mapping.
        for host, site_id in session.execute(statement):
            ids[host] = site_id
    return ids


def retire_sites(
    session: Session, hosts: Iterable[str], *, now: dt.datetime | None = None
) -> tuple[list[str], list[str]]:
    """Take sites out of the inventory (``beian sites remove``): they are no longer crawled,
    their open findings are resolved (the event says why), their history stays. Returns
    the hosts retired and those unknown (or retired already)."""
    from audit.store.models import Finding, FindingEvent

    now = now or utcnow()
    wanted = sorted({host.strip().lower().rstrip(".") for host in hosts if host.strip()})
    found = {
        site.host: site
        for site in session.scalars(
            select(Site).where(Site.host.in_(wanted), Site.retired_at.is_(None))
        )
    }
    for site in found.values():
        site.retired_at = now
        for finding in session.scalars(
            select(Finding).where(Finding.site_id == site.id, Finding.state == "open")
        ):
            finding.state, finding.resolved_at = "resolved", now
            session.add(
                FindingEvent(
                    finding_id=finding.id, at=now, kind="resolved", actor="inventory",
                    from_state="open", to_state="resolved",
                    note="the site was taken out of the inventory",
                )
            )  # fmt: skip
    return sorted(found), [host for host in wanted if host not in found]


ACCEPTANCE = ("accepted_at", "accepted_by")


def _accepted(old: Any, now: dt.datetime, by: str) -> dict[str, Any]:
    """The acceptance to write: an earlier one stays as it was."""
    if old is not None and old.accepted_at is not None:
        return {"accepted_at": old.accepted_at, "accepted_by": old.accepted_by}
    return {"accepted_at": now, "accepted_by": by}


@dataclass(frozen=True)
class Acceptance:
    accepted: list[str]  # accepted now
    already: list[str]  # accepted before (inventory sites, or by an analyst)
    unknown: list[str]  # no such site (or taken out of the inventory)


def pending_hosts(session: Session) -> list[str]:
    """The discovered sites that await an analyst's acceptance, sorted."""
    statement = select(Site.host).where(PENDING, Site.retired_at.is_(None))
    return sorted(session.scalars(statement))


def accept_sites(
    session: Session, hosts: Iterable[str], *, by: str, now: dt.datetime | None = None
) -> Acceptance:
    """Accept discovered sites (``beian sites accept``): from now on they are crawled with
    the others, audited, and counted by the bulletins. ``by``: who decided."""
    now = now or utcnow()
    wanted = sorted({host.strip().lower().rstrip(".") for host in hosts if host.strip()})
    state: dict[str, bool] = {}  # host -> accepted before
    for chunk in _chunks(wanted):
        statement = select(Site.host, not_(PENDING)).where(
            Site.host.in_(chunk), Site.retired_at.is_(None)
        )
        state.update((host, bool(accepted)) for host, accepted in session.execute(statement))
    accepted = [host for host in wanted if state.get(host) is False]
    for chunk in _chunks(accepted):
        session.execute(
            update(Site)
            .where(Site.host.in_(chunk), PENDING)
            .values(accepted_at=now, accepted_by=by)
            .execution_options(synchronize_session=False)
        )
    return Acceptance(
        accepted,
        [host for host in wanted if state.get(host) is True],
        [host for host in wanted if host not in state],
    )


def without_district(session: Session, hosts: Sequence[str]) -> dict[str, int]:
    """Of these hosts, those whose site has no district: host -> site id."""
    found: dict[str, int] = {}
    for chunk in _chunks(hosts):
        statement = select(Site.host, Site.id).where(
            Site.host.in_(chunk), or_(Site.district.is_(None), Site.district == "")
        )
        found.update((host, site_id) for host, site_id in session.execute(statement))
    return found


def police_numbers_shown(session: Session, site_ids: Collection[int]) -> dict[int, list[str]]:
    """The valid public-security numbers each site's latest snapshot showed."""
    if not site_ids:
        return {}
    latest = (
        select(func.max(Snapshot.id))
        .where(Snapshot.site_id.in_(sorted(site_ids)))
        .group_by(Snapshot.site_id)
    )
    statement = (
        select(Snapshot.site_id, Notice.number)
        .join(Notice, Notice.set_id == Snapshot.notice_set_id)
        .where(Snapshot.id.in_(latest), Notice.kind == "police", Notice.valid.is_(True))
        .order_by(Notice.id)
    )
    shown: dict[int, list[str]] = {}
    for site_id, number in session.execute(statement):
        shown.setdefault(site_id, []).append(number or "")
    return shown


def set_districts(session: Session, districts: Mapping[str, str]) -> None:
    """Give these hosts' sites their district (host -> district)."""
    for host, district in districts.items():
        session.execute(
            update(Site)
            .where(Site.host == host)
            .values(district=district)
            .execution_options(synchronize_session=False)
        )


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _LOOKUP_CHUNK):
        yield values[start : start + _LOOKUP_CHUNK]


def site_by_host(session: Session, host: str) -> Site | None:
    return session.scalars(select(Site).where(Site.host == host.strip().lower())).first()


def sites_of_sponsor(session: Session, sponsor: str) -> list[Site]:
    """The sites whose sponsor (主办单位) is exactly this name, by host."""
    return list(session.scalars(select(Site).where(Site.sponsor == sponsor).order_by(Site.host)))


def known_values(session: Session, column: str) -> list[str]:
    """The distinct values the sites have in ``column`` (district or category), sorted."""
    attribute = {"district": Site.district, "category": Site.category}[column]
    query = select(attribute).where(attribute.is_not(None)).distinct().order_by(attribute)
    return [value for value in session.scalars(query) if value]


def sites_matching(session: Session, text: str, limit: int = 11) -> list[Site]:
    """Sites whose host, name or sponsor contains ``text`` (retired ones too), by host."""
    query = (
        select(Site)
        .where(
            or_(
                Site.host.contains(text.lower(), autoescape=True),
                Site.name.contains(text, autoescape=True),
                Site.sponsor.contains(text, autoescape=True),
            )
        )
        .order_by(Site.host)
        .limit(limit)
    )
    return list(session.scalars(query))


def site_snapshots(session: Session, site_id: int) -> list[tuple[Snapshot, CrawlRun]]:
    """A site's snapshots with their runs, the latest-dated first."""
    query = (
        select(Snapshot, CrawlRun)
        .join(CrawlRun, CrawlRun.id == Snapshot.run_id)
        .where(Snapshot.site_id == site_id)
        .order_by(*NEWEST_FIRST)
    )
    return [(snapshot, run) for snapshot, run in session.execute(query)]


def snapshot_by_id(session: Session, snapshot_id: int) -> tuple[Snapshot, CrawlRun, Site] | None:
    """A snapshot with its run and its site."""
    query = (
        select(Snapshot, CrawlRun, Site)
        .join(CrawlRun, CrawlRun.id == Snapshot.run_id)
        .join(Site, Site.id == Snapshot.site_id)
        .where(Snapshot.id == snapshot_id)
    )
    row = session.execute(query).first()
    return (row[0], row[1], row[2]) if row else None


def page_body(session: Session, sha256: str) -> bytes | None:
    """The gzipped page stored under this key, if housekeeping has not deleted it."""
    return session.scalar(select(PageBody.html_gz).where(PageBody.sha256 == sha256))


def notices_of_sets(session: Session, set_ids: Iterable[int]) -> dict[int, list[Notice]]:
    """The notices of these notice sets, in page order."""
    found: dict[int, list[Notice]] = {}
    wanted = sorted(set(set_ids))
    if wanted:
        query = select(Notice).where(Notice.set_id.in_(wanted)).order_by(Notice.id)
        for notice in session.scalars(query):
            found.setdefault(notice.set_id, []).append(notice)
    return found


def site_links(session: Session, site: Site) -> tuple[list[str], list[str]]:
    """(the jurisdiction hosts the site links to, the hosts of sites that link to it), as
    the runs recorded them."""
    out = session.scalars(
        select(Link.target_host)
        .where(Link.site_id == site.id)
        .distinct()
        .order_by(Link.target_host)
    )
    into = session.scalars(
        select(Site.host)
        .join(Link, Link.site_id == Site.id)
        .where(Link.target_host == site.host)
        .distinct()
        .order_by(Site.host)
    )
    return list(out), list(into)
