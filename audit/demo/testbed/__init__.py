"""Sample-jurisdiction testbed: synthetic websites, their ground truth, and a server for them.

``generate(profile, n, seed)`` plans the sites deterministically; ``TestbedServer`` serves them
as a loopback forward proxy; ``start_server_process`` runs that server in its own process.
"""

from audit.demo.testbed.generator import (
    BEHAVIOURS,
    CATEGORIES,
    CONTROL_HOST,
    FOOTERS,
    OUTCOMES,
    Page,
    SiteSpec,
    Testbed,
    generate,
)
from audit.demo.testbed.server import TestbedServer, start_server_process

__all__ = [
    "BEHAVIOURS",
    "CATEGORIES",
    "CONTROL_HOST",
    "FOOTERS",
    "OUTCOMES",
    "Page",
    "SiteSpec",
    "Testbed",
    "TestbedServer",
    "generate",
    "start_server_process",
]
