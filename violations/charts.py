"""Small inline SVG charts for the admin statistics page (no plotting dependency)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#2e7d32", "#c62828", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037")


def _n(value: float) -> str:
    """A coordinate as text (format_html escapes its arguments to strings first)."""
    return f"{value:.1f}"


def stacked_bars(
    labels: Sequence[str],
    series: Mapping[str, Sequence[int]],
    *,
    title: str,
    width_px: int = 720,
    height_px: int = 240,
) -> SafeString:
    """Vertical stacked bars, one per label, one colour per series, with a legend."""
    margin_left, margin_bottom, margin_top, legend_px = 40, 36, 24, 200
    plot_w = width_px - margin_left - legend_px
    plot_h = height_px - margin_bottom - margin_top
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    slot = plot_w / max(len(labels), 1)
    bar_w = max(slot * 0.7, 1.0)
    parts = [
        format_html(
            '<text x="{}" y="16" font-size="13" font-weight="bold">{}</text>', margin_left, title
        ),
        format_html(
            '<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>',
            margin_left - 4,
            margin_top + 8,
            peak,
        ),
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>',
            margin_left,
            margin_top + plot_h,
            margin_left + plot_w,
            margin_top + plot_h,
        ),
    ]
    for i, label in enumerate(labels):
        x = margin_left + i * slot + (slot - bar_w) / 2
        y: float = margin_top + plot_h
        for colour, values in zip(PALETTE, series.values(), strict=False):
            h = plot_h * values[i] / peak
            if h <= 0:
                continue
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    _n(x),
                    _n(y),
                    _n(bar_w),
                    _n(h),
                    colour,
                    label,
                    values[i],
                )
            )
        if len(labels) <= 16 or i % max(len(labels) // 8, 1) == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                    _n(x + bar_w / 2),
                    margin_top + plot_h + 14,
                    label,
                )
            )
    for j, (name, colour) in enumerate(zip(series, PALETTE, strict=False)):
        y = margin_top + 14 * j
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="{}" font-size="11">{}</text>',
                width_px - legend_px + 10,
                y,
                colour,
                width_px - legend_px + 24,
                y + 9,
                name,
            )
        )
    body = mark_safe("".join(parts))  # noqa: S308 - every part was built with format_html
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" role="img" '
        'aria-label="{}" class="nigran-chart">{}</svg>',
        width_px,
        height_px,
        width_px,
        title,
        body,
    )
