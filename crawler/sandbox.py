"""Who Chromium runs as, and whether its sandbox can work here.

Chromium refuses to start as root unless its sandbox is off, and a browser that runs a
stranger's scripts should have both: an unprivileged account and its sandbox. So a crawl
started as root runs Chromium as ``[crawl] browser_user`` (``nobody``), through
``crawler/chromium_launcher.py``.

Chromium's Linux sandbox (Debian ships no setuid helper) needs unprivileged user namespaces,
with PID and network namespaces inside them, and seccomp-bpf. Containers and hardened hosts
often refuse them (Docker's default seccomp profile, ``user.max_user_namespaces = 0``,
Ubuntu's ``apparmor_restrict_unprivileged_userns``). :func:`probe` asks the kernel, as the
account Chromium will run as: a child process of that account creates the namespaces.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from typing import Any

logger = logging.getLogger(__name__)

CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
# What Chromium's namespace sandbox creates for each sandboxed process: util-linux's unshare
# (Debian: essential), else this Python (which the account may not be allowed to run).
_UNSHARE = ["--user", "--pid", "--net", "--fork", "true"]
_PYTHON_PROBE = (
    "import ctypes, os, sys\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    f"if libc.unshare({CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET}) != 0:\n"
    "    sys.exit(os.strerror(ctypes.get_errno()))\n"
)


@dataclass(frozen=True)
class Account:
    """The account Chromium runs as: ``name`` None means the crawl's own (not root)."""

    name: str | None
    uid: int
    gid: int


def browser_account(configured: str, euid: int | None = None) -> Account:
    """The crawl's own account when it is not root; else ``configured`` (ValueError when it
    does not exist or is root itself: Chromium never runs as root)."""
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        return Account(None, euid, os.getegid())
    try:
        entry = pwd.getpwnam(configured)
    except KeyError:
        raise ValueError(
            f"[crawl] browser_user {configured!r} does not exist: the crawl runs as root, and"
            " Chromium only runs as an unprivileged user"
        ) from None
    if entry.pw_uid == 0:
        raise ValueError(f"[crawl] browser_user {configured!r} is root")
    return Account(configured, entry.pw_uid, entry.pw_gid)


def seccomp_supported(proc_status: str) -> bool:
    """Whether the kernel has seccomp, from the text of ``/proc/self/status``."""
    return any(line.startswith("Seccomp:") for line in proc_status.splitlines())


@dataclass(frozen=True)
class Probe:
    available: bool
    reason: str  # why not, when not


@cache
def probe(account: Account) -> Probe:
    """Whether Chromium's sandbox can work for ``account`` on this machine (asked once)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            if not seccomp_supported(status.read()):
                return Probe(False, "the kernel has no seccomp")
    except OSError as exc:
        return Probe(False, f"cannot read /proc/self/status ({exc})")
    unshare = shutil.which("unshare")
    command = [unshare, *_UNSHARE] if unshare else [sys.executable, "-I", "-S", "-c", _PYTHON_PROBE]
    switch: dict[str, Any] = {}
    if account.name is not None:
        switch = {"user": account.uid, "group": account.gid, "extra_groups": []}
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=30, cwd="/", env={}, **switch
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return Probe(False, f"the namespace probe could not run as {_who(account)} ({exc})")
    if result.returncode != 0:
        why = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        return Probe(False, f"{_who(account)} cannot create user namespaces ({why[0]})")
    return Probe(True, "")


def _who(account: Account) -> str:
    return account.name or f"uid {account.uid}"


_warned: set[str] = set()


def warn_once(reason: str) -> None:
    """Say once per process that Chromium runs without its sandbox, and why."""
    if reason not in _warned:
        _warned.add(reason)
        logger.warning(
            "Chromium runs without its sandbox (--no-sandbox): %s. It still runs as an"
            " unprivileged user, and reaches the network only through the browser guard.",
            reason,
        )
