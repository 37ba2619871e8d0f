"""How many new hosts ``--discover`` follows: at most so many per page, and per run.

One page can list 100,000 hosts of the jurisdiction. Each host followed becomes a site
(pending an analyst's acceptance) and a homepage request, so a run follows at most
``discover_per_page`` new hosts from one page and ``discover_max`` in all, in the order
the pages list them. What is left out is counted and said, never dropped silently; the
links to it are recorded like any other link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Crawl stats (kept in the run's stats; the run summary of `beian crawl` shows them).
FOLLOWED = "beian/discovery/followed"  # new hosts followed: sites pending acceptance
LEFT_OUT = "beian/discovery/left_out"  # new hosts not followed: past a bound
PAGES_OVER_LIMIT = "beian/discovery/pages_over_limit"  # pages past discover_per_page
RUN_LIMIT_REACHED = "beian/discovery/run_limit_reached"  # 1 once discover_max was reached
PAGES_CUT = "beian/links/pages_cut"  # pages with more links than links_per_page
LINKS_NOT_READ = "beian/links/not_read"  # links past links_per_page, all pages together
CARRIED_STATS = ("beian/discovery/", "beian/links/")  # a resumed run goes on counting


@dataclass(frozen=True)
class Split:
    """One page's new hosts: followed, or left out by the page's or by the run's bound."""

    followed: list[str]
    over_page: list[str]
    over_run: list[str]


def split_new_hosts(hosts: Sequence[str], *, per_page: int, room: int) -> Split:
    """The first ``per_page`` hosts of a page, as many as the run has ``room`` for, are
    followed; the others are left out.

    >>> split_new_hosts(["a", "b", "c", "d"], per_page=3, room=2)
    Split(followed=['a', 'b'], over_page=['d'], over_run=['c'])
    """
    on_page = list(hosts[:per_page])
    room = max(0, room)
    return Split(on_page[:room], list(hosts[per_page:]), on_page[room:])


@dataclass
class DiscoveryBudget:
    """The bounds of one run, and what they left out so far."""

    per_page: int
    per_run: int
    followed: int = 0  # hosts followed in this run (a resumed run starts from its count)
    left_out: set[str] = field(default_factory=set)
    followed_hosts: set[str] = field(default_factory=set)

    @property
    def room(self) -> int:
        return max(0, self.per_run - self.followed)

    @property
    def run_limit_reached(self) -> bool:
        return self.followed >= self.per_run

    def take(self, hosts: Sequence[str]) -> Split:
        """Follow what the bounds allow of one page's new hosts (in page order)."""
        split = split_new_hosts(hosts, per_page=self.per_page, room=self.room)
        self.followed += len(split.followed)
        self.followed_hosts.update(split.followed)
        self.left_out.update(split.over_page, split.over_run)
        return split

    def left_out_count(self) -> int:
        """Hosts left out by a bound and not followed from another page later."""
        return len(self.left_out - self.followed_hosts)


def discovery_figures(stats: Mapping[str, Any]) -> dict[str, Any]:
    """What discovery followed and what the bounds left out, from a run's stats."""

    def count(key: str) -> int:
        value = stats.get(key)
        return value if isinstance(value, int) else 0

    return {
        "followed": count(FOLLOWED),
        "left_out": count(LEFT_OUT),
        "pages_over_limit": count(PAGES_OVER_LIMIT),
        "run_limit_reached": bool(count(RUN_LIMIT_REACHED)),
        "pages_links_cut": count(PAGES_CUT),
        "links_not_read": count(LINKS_NOT_READ),
    }
