"""Small inline SVG charts made in Python (no JavaScript, no CDN, nothing fetched), for the batch
reports and the web workbench's dashboard."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Sequence

PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]


def _fmt(value: Decimal | int) -> str:
    return f"{value:,}" if isinstance(value, int) else f"${value:,.2f}"


def hbar(title: str, items: Sequence[tuple[str, Decimal | int]], width: int = 720) -> str:
    """A horizontal bar chart: one labelled bar per item, the value written at its end."""
    if not items:
        return f"<h3>{escape(title)}</h3><p>No data.</p>"
    row, label_w = 22, min(300, 8 + 7 * max(len(str(k)) for k, _ in items))
    top = max((v for _, v in items), default=0) or 1
    bar_w = width - label_w - 120
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{row * len(items) + 10}" '
             f'aria-label="{escape(title)}">']
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = int(bar_w * Decimal(value) / Decimal(top)) if value > 0 else 0
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(str(label))}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 6}" fill="{PALETTE[i % len(PALETTE)]}"/>'
                     f'<text x="{label_w + w + 4}" y="{y + 15}" font-size="12">{escape(_fmt(value))}</text>')
    parts.append("</svg>")
    return f"<h3>{escape(title)}</h3>" + "".join(parts)


def vbar(title: str, items: Sequence[tuple[str, Decimal | int]], width: int = 720, height: int = 240) -> str:
    """A vertical bar chart (e.g. by month), labels under the bars, values above them."""
    if not items:
        return f"<h3>{escape(title)}</h3><p>No data.</p>"
    top = max((v for _, v in items), default=0) or 1
    slot = max(24, (width - 20) // len(items))
    width = 20 + slot * len(items)
    plot = height - 50
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'aria-label="{escape(title)}">']
    for i, (label, value) in enumerate(items):
        h = int(plot * Decimal(value) / Decimal(top)) if value > 0 else 0
        x = 10 + i * slot
        parts.append(f'<rect x="{x + 3}" y="{20 + plot - h}" width="{slot - 6}" height="{h}" fill="{PALETTE[0]}">'
                     f'<title>{escape(str(label))}: {escape(_fmt(value))}</title></rect>'
                     f'<text x="{x + slot // 2}" y="{height - 14}" text-anchor="middle" font-size="10">'
                     f'{escape(str(label))}</text>')
    parts.append("</svg>")
    return f"<h3>{escape(title)}</h3>" + "".join(parts)


def _legend(names: Sequence[str], y: int, colours: Sequence[str]) -> str:
    out, x = [], 10
    for name, colour in zip(names, colours):
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="{y + 10}" font-size="12">{escape(name)}</text>')
        x += 28 + 7 * len(name)
    return "".join(out)


def stacked_vbar(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Decimal | int]]],
                 width: int = 720, height: int = 260) -> str:
    """Vertical bars (e.g. one per month) stacked by series (e.g. payment category), with a legend;
    each segment names its series, label and value in a tooltip."""
    if not labels or not series:
        return f"<h3>{escape(title)}</h3><p>No data.</p>"
    totals = [sum((Decimal(s[1][i]) for s in series), Decimal(0)) for i in range(len(labels))]
    top = max(totals) or 1
    slot = max(24, (width - 20) // len(labels))
    width = max(width, 20 + slot * len(labels))
    plot = height - 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'aria-label="{escape(title)}">']
    for i, label in enumerate(labels):
        x, base = 10 + i * slot, 20 + plot
        for k, (name, values) in enumerate(series):
            value = Decimal(values[i])
            h = int(plot * value / Decimal(top)) if value > 0 else 0
            if h:
                base -= h
                parts.append(f'<rect x="{x + 3}" y="{base}" width="{slot - 6}" height="{h}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(str(label))}, {escape(name)}: '
                             f'{escape(_fmt(values[i]))}</title></rect>')
        parts.append(f'<text x="{x + slot // 2}" y="{height - 34}" text-anchor="middle" font-size="10">'
                     f'{escape(str(label))}</text>')
    parts.append(_legend([s[0] for s in series], height - 20, PALETTE))
    parts.append("</svg>")
    return f"<h3>{escape(title)}</h3>" + "".join(parts)


def paired_hbar(title: str, names: tuple[str, str], items: Sequence[tuple[str, Decimal, Decimal]],
                width: int = 720) -> str:
    """Two bars per item (e.g. expected and remitted dollars of a reconciliation), values at their ends."""
    if not items:
        return f"<h3>{escape(title)}</h3><p>No data.</p>"
    row, label_w = 40, min(300, 8 + 7 * max(len(str(k)) for k, _, _ in items))
    top = max(max(a, b) for _, a, b in items) or 1
    bar_w = width - label_w - 120
    height = row * len(items) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'aria-label="{escape(title)}">']
    for i, (label, first, second) in enumerate(items):
        y = 5 + i * row
        parts.append(f'<text x="{label_w - 6}" y="{y + 22}" text-anchor="end" font-size="12">{escape(str(label))}</text>')
        for k, value in enumerate((first, second)):
            w = int(bar_w * Decimal(value) / Decimal(top)) if value > 0 else 0
            yy = y + 3 + k * 17
            parts.append(f'<rect x="{label_w}" y="{yy}" width="{w}" height="15" fill="{PALETTE[k]}">'
                         f'<title>{escape(names[k])}: {escape(_fmt(value))}</title></rect>'
                         f'<text x="{label_w + w + 4}" y="{yy + 12}" font-size="11">{escape(_fmt(value))}</text>')
    parts.append(_legend(names, height - 18, PALETTE))
    parts.append("</svg>")
    return f"<h3>{escape(title)}</h3>" + "".join(parts)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def page(title: str, body: str) -> str:
    style = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
             "text-align:right}th{background:#f3f4f6}td:first-child{text-align:left}"
             ".note{color:#555;font-size:90%}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{style}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>\n")
