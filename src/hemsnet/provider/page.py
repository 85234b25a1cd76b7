"""The fleet page: a plain HTML table of the homes, rendered on the server (no script: the
dashboard's Content-Security-Policy allows none inline, and a list needs none), in the
dashboard's style sheet."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any, Final

__all__ = ["render_fleet"]

_COLUMNS: Final = (
    "Home",
    "Link",
    "Since",
    "Last data",
    "Last seq",
    "Readings",
    "Target kW",
    "Refused",
)


def _cell(value: object) -> str:
    return "<td>-</td>" if value is None else f"<td>{escape(str(value))}</td>"


def render_fleet(homes: Sequence[dict[str, Any]]) -> str:
    """The page listing ``homes`` (as :func:`hemsnet.provider.fleet.homes` gives them)."""
    head = "".join(f'<th scope="col">{name}</th>' for name in _COLUMNS)
    rows = []
    for home in homes:
        state = home["link"]["state"] or "unknown"
        link = f'<td><span class="badge" data-state="{escape(state)}">{escape(state)}</span></td>'
        name = escape(home["home"])
        rows.append(
            f'<tr><td><a href="/api/homes/{name}">{name}</a></td>{link}'
            + "".join(
                _cell(home[key]) if key != "since" else _cell(home["link"]["since"])
                for key in ("since", "last_data", "last_seq", "readings", "target_kw")
            )
            + _cell(home["refused_records"])
            + "</tr>"
        )
    body = (
        "\n".join(rows) or f'<tr><td colspan="{len(_COLUMNS)}">no home has sent data yet</td></tr>'
    )
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>hemsnet · provider fleet</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/static/style.css">
</head>
<body>
  <header class="top"><div class="brand">
  <h1>hemsnet <span class="sub">provider fleet</span></h1>
  <p class="muted">{len(homes)} home(s) · data: <a href="/api/homes">/api/homes</a></p>
  </div></header>
  <main class="grid"><section class="card" aria-label="Homes">
  <table>
  <thead><tr>{head}</tr></thead>
  <tbody>
{body}
  </tbody>
  </table>
  </section></main>
</body>
</html>
"""
