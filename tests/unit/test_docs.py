"""The documentation stands on its own: every relative link in README.md, CONTRIBUTING.md and docs/*.md points at
a file or folder of this repository, and none points outside it (a clone has nothing beside it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    path for path in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")] if path.exists()
)
# [text](target "title") and reference definitions: [label]: target
LINK = re.compile(r'\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)', re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, …


def _relative_links(text: str) -> list[str]:
    targets = (next(group for group in match.groups() if group) for match in LINK.finditer(text))
    return [target for target in targets if not EXTERNAL.match(target) and not target.startswith("#")]


def test_there_are_docs_to_check() -> None:
    assert ROOT / "README.md" in DOCS
    assert len(DOCS) > 1


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file_in_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in _relative_links(text):
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            broken.append(target)

    assert broken == [], f"{doc.relative_to(ROOT)} links to what is not in the repository"
    assert "../shared" not in text, f"{doc.relative_to(ROOT)} refers to ../shared, outside the repository"


def test_the_link_pattern_finds_inline_and_reference_links() -> None:
    text = '[a](docs/x.md#part) [b](https://example.org) [c](#here) [d](<y z.md> "title")\n[e]: ../f.md\n'
    assert _relative_links(text) == ["docs/x.md#part", "y z.md", "../f.md"]
