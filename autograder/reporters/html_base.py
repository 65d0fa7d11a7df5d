"""What every mgrade HTML page shares: escaping, code-aware text, the stylesheet, the skeleton.

Pages are self-contained: inline CSS and inline SVG, no scripts, fonts, images or links to other
files. All text passes `clean_text` (control characters made visible) and then `html.escape`
(quotes included), so "<script>" in student output is shown, never run.
"""

from __future__ import annotations

import html
import re

from autograder.reporters.sanitize import clean_text

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 78rem; color: #1b1f23;
       padding: 0 1rem; line-height: 1.45; }
header { border-bottom: 2px solid #d0d7de; margin-bottom: 1rem; }
h1 { margin-bottom: .2rem; } h1 small { color: #57606a; font-weight: 400; font-size: 1rem; }
.score { font-size: 2rem; font-weight: 700; margin: .3rem 0; }
.facts, .muted { color: #57606a; }
.banner { background: #ffebe9; border: 1px solid #cf222e; padding: .75rem 1rem;
          border-radius: 6px; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem 1rem; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; margin: .75rem 0; }
th, td { border: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, td.points { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.status { white-space: nowrap; font-weight: 600; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em;
       background: rgba(175, 184, 193, .25); padding: .05em .3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; white-space: pre-wrap;
      word-break: break-word; border-radius: 6px; border: 1px solid #d0d7de; }
pre code { background: none; padding: 0; }
tr.passed > td { background: #dafbe1; } tr.passed td.status { color: #1a7f37; }
tr.failed > td { background: #ffebe9; } tr.failed td.status { color: #a40e26; }
tr.error > td { background: #fbefff; } tr.error td.status { color: #8250df; }
tr.blocked > td { background: #fff8c5; } tr.blocked td.status { color: #9a6700; }
tr.detail > td { background: #fff; border-top: none; padding: .5rem 1rem 1rem; }
tr.detail.failed > td { border-left: 4px solid #cf222e; }
tr.detail.error > td { border-left: 4px solid #8250df; }
tr.detail.blocked > td { border-left: 4px solid #d4a72c; }
td.check .title { font-weight: 600; } td.check code.id { font-size: .8em; }
.mark { color: #57606a; font-style: italic; }
figure { margin: .75rem 0; } figcaption { color: #57606a; font-size: .9rem; }
figure svg { max-width: 100%; height: auto; }
.callout { border-left: 4px solid #cf222e; background: #fff5f5; padding: .4rem .8rem; }
table.nodes td, table.nodes th { font-size: .9rem; }
table.nodes tr.wrong > td { background: #ffebe9; font-weight: 600; }
"""

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_TICKS = re.compile(r"`([^`\n]+)`")


def e(text: object) -> str:
    """Clean and escape any text for HTML (attribute-safe)."""
    return html.escape(clean_text(text), quote=True)


def inline(text: str) -> str:
    """One run of text: `backticked` spans become <code>, the rest is escaped."""
    out, last = [], 0
    for match in _TICKS.finditer(text):
        out.append(e(text[last:match.start()]))
        out.append(f"<code>{e(match[1])}</code>")
        last = match.end()
    out.append(e(text[last:]))
    return "".join(out)


def prose(text: str, cls: str = "feedback") -> str:
    """Feedback as HTML: paragraphs at blank lines, line breaks kept, inline code as <code>,
    fenced blocks as <pre><code>."""
    text = clean_text(text)
    parts, last = [], 0
    for match in _FENCE.finditer(text):
        parts += _paragraphs(text[last:match.start()])
        parts.append(f"<pre><code>{e(match[1].rstrip())}</code></pre>")
        last = match.end()
    parts += _paragraphs(text[last:])
    return f'<div class="{e(cls)}">' + "\n".join(parts) + "</div>" if parts else ""


def _paragraphs(text: str) -> list[str]:
    blocks = [b.strip("\n") for b in re.split(r"\n[ \t]*\n", text)]
    return ["<p>" + "<br>\n".join(inline(line) for line in b.split("\n")) + "</p>"
            for b in blocks if b.strip()]


def code_block(code: str, cls: str = "repro") -> str:
    return f'<pre class="{e(cls)}"><code>{e(clean_text(code).rstrip())}</code></pre>'


def page(title: str, body: list[str]) -> str:
    """A complete, self-contained HTML document."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def slug(text: str) -> str:
    """An id-safe form of any text."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"
