"""The repository cites its own statement of the rules, ``docs/rules.md#<anchor>``, never the team's
unshipped reference notes (issue #12: one owner per rule)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the unshipped notes, spelled so that this file does not match itself
FORBIDDEN = re.compile("RULES" + r"\.md|shared/" + "reference")
#: files allowed to name them: the rules page itself (it may describe where it came from), and
#: the scenario module with its test, which are being split into core/contract.py and
#: io/scenario.py in another branch; their citations move to docs/rules.md there
EXEMPT = {"docs/rules.md"}
SKIP_DIRS = {".git", ".venv", "workbooks", "__pycache__", ".hypothesis", ".pytest_cache"}


def repository_files() -> list[str]:
    """Tracked and new (not ignored) files, as git sees them; every text file when git is absent."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return sorted(set(out.split()))
    except (OSError, subprocess.CalledProcessError):
        return sorted(
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not SKIP_DIRS & set(p.relative_to(ROOT).parts)
        )


def citations(files: list[str]) -> list[str]:
    hits = []
    for name in files:
        path = ROOT / name
        if name in EXEMPT or not path.is_file() or path.suffix in {".xlsx", ".parquet", ".png"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [
            f"{name}:{i}: {line.strip()}"
            for i, line in enumerate(text.splitlines(), 1)
            if FORBIDDEN.search(line)
        ]
    return hits


def test_no_citation_of_the_unshipped_rules_notes():
    assert citations(repository_files()) == []


def test_a_citation_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    (tmp_path / "engine.py").write_text('"""Source: ' + "RULES" + '.md ("Invoices")."""\n')
    (tmp_path / "notes.md").write_text("see shared/" + "reference/x\n")
    (tmp_path / "clean.py").write_text('"""Source: docs/rules.md#invoices."""\n')
    assert citations(["engine.py", "notes.md", "clean.py"]) == [
        'engine.py:1: """Source: ' + "RULES" + '.md ("Invoices")."""',
        "notes.md:1: see shared/" + "reference/x",
    ]


def test_the_rules_page_has_every_cited_anchor():
    """Every ``docs/rules.md#<anchor>`` cited in the repository is a heading of docs/rules.md."""
    headings = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lstrip("#").strip().lower()).replace(" ", "-")
        for h in headings
        if h.startswith("#")
    }
    cited = set()
    for name in repository_files():
        path = ROOT / name
        if path.suffix in {".py", ".md", ".toml"} and path.is_file():
            cited |= set(re.findall(r"rules\.md#([a-z0-9-]+)", path.read_text(encoding="utf-8")))
    assert cited, "no citation found: the scan is broken"
    assert sorted(cited - anchors) == []
