"""Reading what a process sent over the network from its system calls (tests/support/syscalls.py),
which the browser-guard tests use to prove that nothing a crawl sends leaves the machine."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.syscalls import STRACE, Endpoint, read_traffic, strace_command

DATA = Path(__file__).parent / "data" / "syscalls"

# A process that asks for a route to Google's DNS (a UDP connect, as Chromium's probes do),
# then really talks to two loopback listeners: a datagram and a TCP request.
TALKER = """
import socket, sys
udp_port, tcp_port = int(sys.argv[1]), int(sys.argv[2])
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
probe.connect(("8.8.8.8", 53)); probe.close()
datagram = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
datagram.sendto(b"hello", ("127.0.0.1", udp_port))
stream = socket.create_connection(("127.0.0.1", tcp_port))
stream.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n"); stream.close()
"""


@pytest.mark.skipif(not STRACE, reason="strace is not installed")
def test_a_route_lookup_is_not_traffic_and_loopback_traffic_is_seen(tmp_path: Path) -> None:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    tcp = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=lambda: tcp.accept()[0].recv(100), daemon=True).start()
    trace = tmp_path / "trace.txt"
    ports = [str(udp.getsockname()[1]), str(tcp.getsockname()[1])]
    subprocess.run([*strace_command(trace), sys.executable, "-c", TALKER, *ports], check=True)
    udp.close()
    tcp.close()

    traffic = read_traffic(trace.read_text())
    assert traffic.outward() == []
    assert traffic.route_lookups() == {Endpoint("8.8.8.8", 53)}
    assert {(call, to.port) for _, call, to in traffic.sent} >= {
        ("sendto", int(ports[0])),
        ("sendto", int(ports[1])),
    }
    assert [to.port for _, to in traffic.tcp_attempts] == [int(ports[1])]


def test_a_datagram_or_a_connection_outward_is_reported() -> None:
    """The same reading on the strace lines a leaking process would leave
    (data/syscalls/leaking.strace, an interrupted call included): a datagram on a socket
    connected outward, one addressed in the call, a TCP connection attempt (its SYN leaves
    at connect, whatever the result); a Unix socket is not the network."""
    traffic = read_traffic((DATA / "leaking.strace").read_text())
    assert traffic.outward() == [
        "7 write Endpoint(host='2001:4860:4860::8888', port=443)",
        "7 sendto Endpoint(host='10.255.255.53', port=53)",
        "7 connect (TCP) Endpoint(host='192.0.2.1', port=80)",
    ]
    assert traffic.route_lookups() == set()  # that socket was written to
