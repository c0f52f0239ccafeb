r"""One self-contained HTML page from the report's Markdown and rendered figures.

:func:`markdown_to_html` renders the Markdown subset the sections use (headings, paragraphs,
pipe tables, bullet lists, fenced code, ```code``` spans, ``**bold**``, images, links); an image
whose file exists is inlined as a ``data:`` URI, any other is replaced by its alt text, so the
page never points to a file or a server. :func:`page` wraps the body with a table of contents
(one anchor per section) and the style sheet. The result opens offline, as one file.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Sequence

__all__ = ["markdown_to_html", "inline", "data_uri", "figure_html", "page"]

_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

STYLE = ("body{font-family:system-ui,sans-serif;max-width:1250px;margin:auto;padding:1em;line-height:1.45}"
         "table{border-collapse:collapse;font-size:88%;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px}"
         "th{background:#f2f2f2}img{max-width:100%}code{background:#f4f4f4;padding:0 2px}"
         "figure{margin:1em 0;border-top:1px solid #ddd;padding-top:0.5em}figcaption{font-size:90%;color:#333}"
         "nav{background:#fafafa;border:1px solid #ddd;padding:0.3em 1em}pre{background:#f6f6f6;padding:0.5em;"
         "overflow-x:auto}.err{color:#a00}")


def data_uri(path: str | Path) -> str:
    """``data:<mime>;base64,...`` of a file (the image inlined)."""
    path = Path(path)
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def inline(text: str) -> str:
    """Escape HTML, then render ``code`` spans, ``**bold**`` and ``[text](#anchor)`` links."""
    parts = html.escape(text, quote=False).split("`")
    out = []
    for i, p in enumerate(parts):
        if i % 2:
            out.append(f"<code>{p}</code>")
            continue
        p = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", p)
        p = re.sub(r"\[([^\]]+)\]\((#[\w.-]+)\)", r"<a href='\2'>\1</a>", p)
        out.append(p)
    return "".join(out)


def figure_html(png: str | Path, title: str, caption: str = "") -> str:
    """A ``<figure>`` with the PNG inlined and the title and caption below it."""
    cap = f"<b>{inline(title)}</b>" + (f" {inline(caption)}" if caption else "")
    return (f"<figure><img src='{data_uri(png)}' alt='{html.escape(title, quote=True)}'>"
            f"<figcaption>{cap}</figcaption></figure>")


def _image(alt: str, target: str, base: Path | None) -> str:
    path = Path(target) if base is None or Path(target).is_absolute() else base / target
    if not target.startswith(("http:", "https:", "//")) and path.is_file():
        return figure_html(path, alt)
    return f"<p><em>[figure not available: {inline(alt)}]</em></p>"


def _table(rows: list[list[str]]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in rows[0]) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rows[1:]]
    return "\n".join(out) + "</table>"


def markdown_to_html(md: str, base: str | Path | None = None) -> str:
    """HTML of the Markdown subset the report uses; images resolved against ``base`` and inlined."""
    base = None if base is None else Path(base)
    lines, out, para, i = md.splitlines(), [], [], 0

    def flush() -> None:
        if para:
            out.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        img = re.fullmatch(r"\s*!\[(.*)\]\((.*)\)\s*", line)
        if line.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out.append("<pre>" + html.escape("\n".join(lines[i + 1:j])) + "</pre>")
            i = j + 1
            continue
        if line.startswith("#"):
            flush()
            level = min(6, len(line) - len(line.lstrip("#")))
            out.append(f"<h{level}>{inline(line[level:].strip())}</h{level}>")
        elif img:
            flush()
            out.append(_image(img.group(1), img.group(2), base))
        elif line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    rows.append(cells)
                i += 1
            if rows:
                out.append(_table(rows))
            continue
        elif line.lstrip().startswith(("- ", "* ")):
            flush()
            items = []
            while i < len(lines) and lines[i].lstrip().startswith(("- ", "* ")):
                items.append("<li>" + inline(lines[i].lstrip()[2:]) + "</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


def page(title: str, toc: Sequence[tuple[str, str]], body: Sequence[str]) -> str:
    """The whole document: ``toc`` is ``(anchor, title)`` per section; ``body`` the HTML blocks."""
    nav = "".join(f"<li><a href='#{html.escape(a, quote=True)}'>{inline(t)}</a></li>" for a, t in toc)
    return "\n".join([
        "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>", f"<nav><b>Contents</b><ul>{nav}</ul></nav>", *body, "</body></html>",
    ])
