"""Real-world latency for the testbed's sites: a delay drawn per request from a lognormal
distribution, and a share of hosts that hang. Drawn from the host and the path, so two
crawls of the same testbed meet the same delays (a benchmark compares like with like).

    >>> latency = Latency.parse("lognormal:0.3,0.8", hang=0.03)
    >>> latency.delay("www.example.gov.cn", "/") == latency.delay("www.example.gov.cn", "/")
    True
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Latency:
    median: float = 0.0  # seconds; 0: no delay
    sigma: float = 0.0
    hang: float = 0.0  # share of hosts that answer only after hang_seconds
    hang_seconds: float = 30.0
    seed: int = 0

    @classmethod
    def parse(cls, text: str, *, hang: float = 0.0, hang_seconds: float = 30.0) -> Latency:
        """``lognormal:MEDIAN,SIGMA`` (seconds), as `--latency` takes it."""
        kind, _, values = text.partition(":")
        try:
            if kind != "lognormal":
                raise ValueError(kind)
            median, sigma = (float(v) for v in values.split(","))
        except ValueError:
            raise ValueError(
                f"{text!r}: expected lognormal:MEDIAN,SIGMA, e.g. lognormal:0.3,0.8"
            ) from None
        if median <= 0 or sigma < 0 or not 0 <= hang <= 1:
            raise ValueError("need MEDIAN > 0, SIGMA >= 0 and 0 <= hang <= 1")
        return cls(median, sigma, hang, hang_seconds)

    def delay(self, host: str, path: str) -> float:
        """Seconds before the answer to ``path`` of ``host``."""
        if self.hang and random.Random(f"{self.seed}:hang:{host}").random() < self.hang:
            return self.hang_seconds
        if not self.median:
            return 0.0
        draw = random.Random(f"{self.seed}:{host}:{path}")
        return draw.lognormvariate(math.log(self.median), self.sigma)

    def describe(self) -> str:
        hang = f", {self.hang:.0%} of hosts hang {self.hang_seconds:g} s" if self.hang else ""
        return f"lognormal median {self.median:g} s, sigma {self.sigma:g}{hang}"
