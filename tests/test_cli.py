"""The command line: help on every command, one-line errors, the rule catalogue."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from audit.cli import cli
from audit.config import LOCAL_TZ
from tests.conftest import REPO

THIS_MONTH = f"{datetime.datetime.now(LOCAL_TZ):%Y-%m}"


def every_command(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[list[str]]:
    """Every command and group of the CLI, found by walking it: a new command is in."""
    found = [list(path)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += every_command(command, (*path, name))
        else:
            found.append([*path, name])
    return found


@pytest.mark.parametrize("command", every_command(), ids=lambda c: " ".join(c) or "beian")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # a description of its own, not only the usage line and the options
    described = result.output.split("Options:")[0].replace("Usage:", "").splitlines()[1:]
    assert any(line.strip() for line in described), f"beian {' '.join(command)} says nothing"


def run_beian(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sites", "import", "missing.csv"), "missing.csv: file not found"),
        (("--config", "nope.toml", "sites", "list"), "nope.toml: configuration file not found"),
        (("sites", "add", "http://bad host/"), "URL contains spaces"),
        (("rules", "BA999"), "unknown rule 'BA999'"),
        # the domain names the argument; the CLI words it as its option
        (("bulletin", "--month", "2026-13"), "--month '2026-13': give a month as YYYY-MM"),
        (("bulletin", "--month", THIS_MONTH), "its figures would still change; use --draft"),
    ],
)
def test_user_errors_are_one_line_without_a_traceback(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_beian(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "BEIAN_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    result = subprocess.run(
        [sys.executable, "-m", "audit", "sites", "list"], cwd=tmp_path, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot open the database postgresql+psycopg://")
    assert "Connection refused" in result.stderr
    assert "Traceback" not in result.stderr


def test_rules_lists_every_rule_with_its_basis_and_advice() -> None:
    result = CliRunner().invoke(cli, ["rules", "--json"])
    rows = json.loads(result.output)
    codes = [row["code"] for row in rows]
    assert codes == sorted(codes) and {"BA101", "BA111", "BA121", "BA201", "BA301"} <= set(codes)
    assert all(row["basis"] and row["advice_zh"] for row in rows)
    explained = CliRunner().invoke(cli, ["rules", "ba111"])
    assert "整改建议" in explained.output and "公安部令第33号" in explained.output


def test_python_m_audit_is_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audit", "--version"], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0 and result.stdout.startswith("beian, version")


def test_the_typical_session_in_the_help_names_commands_that_exist() -> None:
    shown = CliRunner().invoke(cli, ["--help"]).output
    session = shown.split("Typical session:")[1].split("Settings come from")[0]
    # each line: the command as typed, two spaces or more, what it does
    typed = [re.split(r"\s{2,}", line.strip())[0] for line in session.splitlines()]
    commands = [line.split()[1:] for line in typed if line.startswith("beian ")]
    assert len(commands) >= 5
    for words in commands:
        command: click.Command = cli
        for word in words:  # the words that name (sub)commands, up to the arguments
            if not isinstance(command, click.Group) or word.startswith("-"):
                break
            assert word in command.commands, f"beian {' '.join(words)}: no {word!r}"
            command = command.commands[word]


@pytest.mark.parametrize(
    "args", [("findings",), ("sites", "list"), ("crawl",), ("db", "status"),
             ("review", "1", "--state", "confirmed"), ("bulletin", "--month", "2026-11")],
)  # fmt: skip
def test_a_command_where_there_is_no_database_says_how_to_make_one(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = run_beian(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: no database at beian.db: import an inventory")
    assert list(tmp_path.iterdir()) == []  # and it did not create an empty one


def test_a_crawl_of_an_empty_inventory_says_to_import_one(tmp_path: Path) -> None:
    created = run_beian("sites", "add", "http://www.example.gov.cn/", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert run_beian("sites", "remove", "www.example.gov.cn", cwd=tmp_path).returncode == 0
    result = run_beian("crawl", cwd=tmp_path)
    assert result.returncode == 1
    assert "the inventory is empty: nothing to crawl. Import it first" in result.stderr
    runs = run_beian("db", "status", cwd=tmp_path)
    assert runs.returncode == 0  # no run was started: nothing to resume or to clean up
