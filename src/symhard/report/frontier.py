"""The "Theory meets experiment" part of the report: every frontier measured under a results root."""

from __future__ import annotations

import json
from pathlib import Path

from ..frontier import RESULT_FILE
from ..frontier.section import frontier_section
from ..sections import Section

__all__ = ["frontier_sections"]


def frontier_sections(root: str | Path) -> list[Section]:
    """One section per ``<root>/frontier/*/frontier.json`` (sorted by folder name); none when there are none.

    A result file that cannot be read becomes a section saying so, not a crash.
    """
    out = []
    for path in sorted((Path(root) / "frontier").glob(f"*/{RESULT_FILE}")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            out.append(frontier_section(result))
        except (OSError, ValueError, KeyError, TypeError) as err:
            out.append(Section(title=f"Frontier {path.parent.name}: unreadable",
                               text=f"`{path}` could not be read ({type(err).__name__}: {err}); rerun `symhard frontier`."))
    return out
