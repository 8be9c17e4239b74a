"""The pages registered in app.py's PAGES list, read from the source so tests can be parametrised by page."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RegisteredPage:
    path: str  # "pages/overview.py"
    title: str
    default: bool

    @property
    def id(self) -> str:
        return Path(self.path).stem


def registered_pages(app: Path = ROOT / "app.py") -> list[RegisteredPage]:
    """Every `st.Page("pages/...", title=...)` in app.py, in order."""
    found = []
    for node in ast.walk(ast.parse(app.read_text())):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args):
            continue
        if not isinstance(node.args[0], ast.Constant):
            continue
        path = node.args[0].value
        kwargs = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        title = kwargs.get("title") or Path(path).stem.replace("_", " ").title()
        found.append(RegisteredPage(path, title, bool(kwargs.get("default", False))))
    return found


def has_page(path: str) -> bool:
    """True when app.py registers the page and its file exists (flows activate when a page lands)."""
    return any(p.path == path for p in registered_pages()) and (ROOT / path).exists()
