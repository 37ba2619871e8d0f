"""``python -m audit.demo.testbed generate|serve``: write a sample jurisdiction, or serve it."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from audit.config import DEFAULT_PROFILE, Profile, load_builtin_profile


def _page_kb(text: str) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected LOW,HIGH in KB, e.g. 30,120") from None
    if not 1 <= lo <= hi:
        raise argparse.ArgumentTypeError("need 1 <= LOW <= HIGH")
    return lo, hi


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sites", type=_positive, required=True, metavar="N", help="number of sites to generate"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed: same seed, same sites (default 0)"
    )
    parser.add_argument(
        "--epoch",
        type=int,
        default=0,
        metavar="K",
        help="content epoch: at K>0 about 10%% of sites have changed their footer (default 0)",
    )
    parser.add_argument(
        "--page-kb",
        type=_page_kb,
        default=(30, 120),
        metavar="LOW,HIGH",
        help="homepage size range in KB (default 30,120)",
    )
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help=f"built-in jurisdiction profile (default {DEFAULT_PROFILE})",
    )
    parser.add_argument("--profile-json", help=argparse.SUPPRESS)  # used by start_server_process


def _profile(args: argparse.Namespace) -> Profile:
    if args.profile_json:
        return Profile.model_validate_json(args.profile_json)
    try:
        return load_builtin_profile(args.profile)
    except FileNotFoundError:
        sys.exit(f"error: no built-in profile named {args.profile!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m audit.demo.testbed",
        description=(
            "Sample-jurisdiction testbed: deterministic synthetic websites of a jurisdiction, "
            "their ground truth, and a loopback HTTP proxy that serves them."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser(
        "generate",
        help="write manifest.json (ground truth) and inventory.csv",
        description="Write manifest.json (every site and what a crawl should find) and "
        "inventory.csv (the sites an analyst would list) into --out.",
    )
    _common(gen)
    gen.add_argument("--out", type=Path, required=True, help="output directory")
    serve = sub.add_parser(
        "serve",
        help="serve the sites until Ctrl-C",
        description="Serve the sites on a loopback port. Point a crawler's http_proxy at the "
        "printed URL: it answers proxy-style requests (GET http://host/path) for every "
        "generated host, and http://testbed.internal/__stats__ and POST "
        "http://testbed.internal/__epoch__/K for control.",
    )
    _common(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind (default: any free one)")
    serve.add_argument(
        "--slow-seconds",
        type=float,
        default=30.0,
        help="how long 'slow' sites wait before answering (default 30)",
    )
    serve.add_argument(
        "--latency",
        metavar="lognormal:MEDIAN,SIGMA",
        help="delay every answer of the sites as the real web does (e.g. lognormal:0.3,0.8:"
        " median 0.3 s); default none",
    )
    serve.add_argument(
        "--hang", type=float, default=0.0, metavar="SHARE",
        help="with --latency: this share of hosts answers only after --hang-seconds (e.g. 0.03)",
    )  # fmt: skip
    serve.add_argument("--hang-seconds", type=float, default=30.0, help="default 30")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from audit.demo.testbed.generator import generate

    profile = _profile(args)
    testbed = generate(profile, args.sites, args.seed, epoch=args.epoch, page_kb=args.page_kb)
    if args.command == "generate":
        manifest, inventory = testbed.write(args.out)
        print(f"wrote {manifest} and {inventory} ({len(testbed.sites)} sites)")
        return 0

    from audit.demo.testbed.server import TestbedServer

    latency = None
    if args.latency:
        from audit.demo.testbed.latency import Latency

        try:
            latency = Latency.parse(args.latency, hang=args.hang, hang_seconds=args.hang_seconds)
        except ValueError as exc:
            build_parser().error(f"--latency: {exc}")
    server = TestbedServer(
        testbed, host=args.host, port=args.port, slow_seconds=args.slow_seconds, latency=latency
    )

    def ready(port: int) -> None:
        # One line on stdout: start_server_process reads the port from it.
        print(
            f"testbed: {len(testbed.sites)} sites of {profile.name} (seed {args.seed}, "
            f"epoch {args.epoch}); proxy URL {server.url}",
            flush=True,
        )
        print("press Ctrl-C to stop", file=sys.stderr, flush=True)

    # SIGINT/SIGTERM stop the loop cleanly; a Ctrl-C during start-up still ends quietly.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(ready)
    print("testbed: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
