"""The shape of the code that issue 12 asked for, kept: small modules and no import cycle.

(Which package may import which is import-linter's job, in ``make lint``.)
"""

from __future__ import annotations

from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 800


def test_no_module_is_longer_than_800_lines() -> None:
    sources = [*REPO.glob("audit/**/*.py"), *REPO.glob("crawler/**/*.py"), REPO / "scheduler.py"]
    long = {
        str(path.relative_to(REPO)): lines
        for path in sources
        if (lines := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules: {long}"


def _cycle(imports: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among the modules, or None."""
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done

    def walk(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for imported in sorted(imports[module]):
            if imported not in imports:
                continue
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state and (found := walk(imported, [*path, imported])):
                return found
        state[module] = 2
        return None

    for module in sorted(imports):
        if module not in state and (found := walk(module, [module])):
            return found
    return None


def test_no_module_imports_itself_through_others() -> None:
    # every import counts, those inside functions and under TYPE_CHECKING included
    graph = grimp.build_graph("audit", "crawler")
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert _cycle(imports) is None, " -> ".join(_cycle(imports) or [])


def test_a_cycle_is_found() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
