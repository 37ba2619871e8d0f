"""What a process tree really sent over the network, read from its system calls (strace).

A socket list (psutil, /proc) shows where sockets point, not whether anything went through
them: Chromium connects UDP sockets to Google's public DNS address only to ask the kernel
for a route (its IPv6 reachability probe, WebRTC's default-address lookup), and a UDP
``connect()`` sends nothing. The system calls tell the two apart: every ``send*``/``write*``
on an internet socket, with its destination (given in the call, or the address the socket
was connected to), and every TCP connection attempt (a SYN leaves at ``connect()``).

``strace -f -y`` names each socket by its inode (``3<socket:[20302]>``), unique across the
whole tree, so the processes' own file-descriptor numbers never need to be followed.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

STRACE = shutil.which("strace")
TRACED = "socket,connect,sendto,sendmsg,sendmmsg,write,writev"

_LINE = re.compile(r"^(\d+) +(.*)$")
_CALL = re.compile(r"^(\w+)\(\d+<socket:\[(\d+)\]>(.*)$")
_SOCKET = re.compile(r"^socket\((AF_\w+), (SOCK_\w+)[^)]*\) = \d+<socket:\[(\d+)\]>")
_ADDRESS = re.compile(
    r'sin6?_port=htons\((\d+)\).*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")'
)
_RESULT = re.compile(r"\)\s+= (-?\d+)")


def strace_command(output: Path) -> list[str]:
    """The prefix that runs a command under strace, its children included, into ``output``."""
    assert STRACE, "strace is not installed"
    return [STRACE, "-f", "-qq", "-y", "-s", "0", "-e", f"trace={TRACED}", "-o", str(output)]


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        address = ipaddress.ip_address(self.host)
        mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
        return (mapped or address).is_loopback


@dataclass
class Traffic:
    """What the traced processes did with their internet sockets."""

    sent: list[tuple[int, str, Endpoint]] = field(default_factory=list)  # pid, call, to
    tcp_attempts: list[tuple[int, Endpoint]] = field(default_factory=list)
    udp_connects: list[tuple[int, Endpoint]] = field(default_factory=list)

    def outward(self) -> list[str]:
        """Everything that left for an address outside this machine's loopback."""
        return [f"{pid} {call} {to}" for pid, call, to in self.sent if not to.is_loopback] + [
            f"{pid} connect (TCP) {to}" for pid, to in self.tcp_attempts if not to.is_loopback
        ]

    def route_lookups(self) -> set[Endpoint]:
        """Outward UDP sockets that were connected and never sent on."""
        used = {to for _, _, to in self.sent}
        return {to for _, to in self.udp_connects if not to.is_loopback and to not in used}


def calls(text: str) -> Iterator[tuple[int, str]]:
    """(pid, call with its result) per system call, an interrupted call joined up again."""
    pending: dict[int, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        pid, call = int(match[1]), match[2]
        if call.endswith("<unfinished ...>"):
            pending[pid] = call.removesuffix("<unfinished ...>")
        elif call.startswith("<... ") and "resumed>" in call:
            yield pid, pending.pop(pid, "") + call.split("resumed>", 1)[1]
        else:
            yield pid, call


def read_traffic(text: str) -> Traffic:
    kinds: dict[str, str] = {}  # socket inode -> "tcp" | "udp", internet sockets only
    peers: dict[str, Endpoint] = {}  # socket inode -> the address it was connected to
    traffic = Traffic()
    for pid, call in calls(text):
        if made := _SOCKET.match(call):
            if made[1] in ("AF_INET", "AF_INET6"):
                kinds[made[3]] = {"SOCK_STREAM": "tcp", "SOCK_DGRAM": "udp"}.get(made[2], "")
            continue
        match = _CALL.match(call)
        if not match or match[2] not in kinds:
            continue
        name, inode, rest = match[1], match[2], match[3]
        addresses = [_endpoint(m) for m in _ADDRESS.finditer(rest)]
        if name == "connect":
            if not addresses:
                continue  # AF_UNSPEC: dissolves a UDP association
            peers[inode] = addresses[0]
            attempts = traffic.tcp_attempts if kinds[inode] == "tcp" else traffic.udp_connects
            attempts.append((pid, addresses[0]))
        elif _succeeded(rest):
            # to the address in the call, else to the socket's peer (sockets accepted
            # from a listener are not followed: they answer a connection made in the tree)
            for to in addresses or ([peers[inode]] if inode in peers else []):
                traffic.sent.append((pid, name, to))
    return traffic


def _endpoint(match: re.Match[str]) -> Endpoint:
    return Endpoint(match[2] or match[3], int(match[1]))


def _succeeded(rest: str) -> bool:
    results = _RESULT.findall(rest)
    return bool(results) and int(results[-1]) > 0
