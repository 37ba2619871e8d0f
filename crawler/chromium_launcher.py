"""What Playwright starts instead of Chromium: drop root, clean the environment, exec Chromium.

Run as ``python -I -S chromium_launcher.py ARGS...`` by the small shell script that
``crawler/browser.py`` writes for each crawl; standard library only, so that it starts fast
and without the project's imports. Playwright passes it, through the environment:

- ``BEIAN_CHROMIUM``: the Chromium binary;
- ``BEIAN_BROWSER_USER``: the account to run it as when started as root (``nobody``).

Started as root, it hands Playwright's fresh profile directory (``--user-data-dir``) to that
account, drops every privilege (groups, then group, then user) and checks it cannot get them
back. Chromium gets a short environment of its own: no Google API keys (Debian's
``/usr/bin/chromium`` script would load them from ``/etc/chromium.d``), no proxy variables, a
home inside its profile.
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

# What Chromium keeps of the crawl's environment: its locale and fonts.
KEPT_VARIABLES = (
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
)


def user_data_dir(argv: Sequence[str]) -> str | None:
    """The profile directory Playwright created for this browser, from its arguments."""
    for arg in argv:
        if arg.startswith("--user-data-dir="):
            return arg.split("=", 1)[1]
    return None


def browser_environment(environ: Mapping[str, str], home: str) -> dict[str, str]:
    """Chromium's whole environment: locale and fonts from ours, a home in its profile."""
    env = {name: environ[name] for name in KEPT_VARIABLES if name in environ}
    env.update(
        PATH="/usr/local/bin:/usr/bin:/bin",
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
    )
    return env


def hand_over(path: str, uid: int, gid: int) -> None:
    """Give a fresh directory tree to the account, without following links."""
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), uid, gid)


def drop_root(user: str) -> None:
    entry = pwd.getpwnam(user)
    if entry.pw_uid == 0:
        fail(f"refusing to run Chromium as {user!r}: it is root")
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    try:
        os.setuid(0)
    except PermissionError:
        return
    fail("could not drop root")  # pragma: no cover - the kernel said yes to setuid(0)


def fail(message: str) -> NoReturn:
    # Playwright shows the browser's stderr when the launch fails.
    print(f"beian-audit chromium launcher: {message}", file=sys.stderr)
    sys.exit(1)


def main(argv: Sequence[str], environ: Mapping[str, str]) -> NoReturn:
    chromium = environ.get("BEIAN_CHROMIUM") or fail("BEIAN_CHROMIUM is not set")
    user = environ.get("BEIAN_BROWSER_USER") or None
    profile = user_data_dir(argv)
    if os.geteuid() == 0:
        if user is None:
            fail("started as root without BEIAN_BROWSER_USER: Chromium never runs as root")
        entry = pwd.getpwnam(user)
        if profile:
            hand_over(profile, entry.pw_uid, entry.pw_gid)
        drop_root(user)
        if profile and not os.access(profile, os.W_OK | os.X_OK):
            fail(
                f"the profile {profile} is out of reach of {user!r}: a directory above it is"
                " private (set TMPDIR to a directory every user can traverse, such as /tmp)"
            )
    home = profile or environ.get("TMPDIR", "/tmp")
    os.execve(chromium, [chromium, *argv], browser_environment(environ, home))


if __name__ == "__main__":
    main(sys.argv[1:], os.environ)
