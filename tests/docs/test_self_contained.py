"""The project stands on its own: its code and docs cite only documents and sources that it carries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
REFERENCES = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
PHYSICS = (ROOT / "docs" / "physics.md").read_text(encoding="utf-8")

READABLE = sorted(
    [
        ROOT / "README.md",
        ROOT / "BENCHMARKS.md",
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "src").rglob("*.py"),
        *(ROOT / "benchmarks").glob("*.py"),
    ]
)
OUTSIDE_DOCUMENTS = re.compile(r"PHYSICS_AND_SENSORS|DESIGN\.md|DEPENDENCY_NOTES|\.\./shared")
SOURCE_KEY = re.compile(r"\[S(\d+)\]")
PHYSICS_SECTION = re.compile(r"docs/physics\.md`? §(\d+(?:\.\d+)?)")
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", READABLE, ids=_relative)
def test_no_file_cites_a_document_outside_the_repository(path: Path) -> None:
    found = OUTSIDE_DOCUMENTS.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{_relative(path)} cites {sorted(set(found))}: carry what it needs into docs/"


def test_every_cited_source_key_is_listed_in_the_references() -> None:
    listed = {int(key) for key in re.findall(r"^- \[S(\d+)\]", REFERENCES, flags=re.MULTILINE)}
    cited = {int(key) for path in READABLE for key in SOURCE_KEY.findall(path.read_text(encoding="utf-8"))}
    assert cited, "no source key is cited anywhere: the pattern is wrong"
    assert cited <= listed, f"cited but not in docs/references.md: {sorted(cited - listed)}"


def test_every_cited_physics_section_exists() -> None:
    headings = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", PHYSICS, flags=re.MULTILINE))
    cited = {section for path in READABLE for section in PHYSICS_SECTION.findall(path.read_text(encoding="utf-8"))}
    assert cited, "no section of docs/physics.md is cited anywhere: the pattern is wrong"
    assert cited <= headings, f"cited sections missing from docs/physics.md: {sorted(cited - headings)}"


@pytest.mark.parametrize("path", [p for p in READABLE if p.suffix == ".md"], ids=_relative)
def test_relative_links_in_the_docs_resolve(path: Path) -> None:
    targets = [t for t in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")) if "://" not in t]
    missing = [t for t in targets if not (path.parent / t).exists()]
    assert not missing, f"{_relative(path)} links to missing files: {missing}"
