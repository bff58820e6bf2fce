"""Charts of the HR dashboard, drawn on the server as SVG: no script library,
nothing fetched (an intranet has no internet). Labels are escaped text."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

# Colour per series, readable in print and by colour-blind readers (Okabe-Ito).
SERIES = (
    ("completed", "#009E73"),
    ("in_progress", "#0072B2"),
    ("enrolled", "#E69F00"),
    ("overdue", "#D55E00"),
)


def _labels():
    return {
        "completed": _("Completed"),
        "in_progress": _("In progress"),
        "enrolled": _("Enrolled"),
        "overdue": _("Overdue"),
    }


def stacked_bars(rows: list[tuple[str, object]], *, title: str, rtl: bool = False) -> str:
    """One horizontal bar per row: completed, in progress and enrolled stacked,
    overdue drawn as a thin bar below (overdue learners are also counted in
    enrolled or in progress)."""
    labels = _labels()
    label_w, bar_w, row_h, top = 220, 420, 34, 34
    width = label_w + bar_w + 60
    height = top + row_h * max(len(rows), 1) + 30
    biggest = max([f.enrolled + f.in_progress + f.completed for _n, f in rows] + [1])
    scale = bar_w / biggest
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    # Legend.
    x = 4
    for key, colour in SERIES:
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="17" font-size="12">{escape(labels[key])}</text>')
        x += 24 + 8 * len(str(labels[key]))
    for index, (name, figures) in enumerate(rows):
        y = top + index * row_h
        anchor = "start" if rtl else "end"
        label_x = 4 if rtl else label_w - 8
        parts.append(
            f'<text x="{label_x}" y="{y + 15}" font-size="12" text-anchor="{anchor}" '
            f'direction="{"rtl" if rtl else "ltr"}">{escape(str(name)[:34])}</text>'
        )
        x = label_w
        for key, colour in SERIES[:3]:
            value = getattr(figures, key)
            if value:
                w = max(value * scale, 1)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="16" fill="{colour}">'
                    f"<title>{escape(labels[key])}: {value}</title></rect>"
                )
                x += w
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + 15}" font-size="11">{figures.total}</text>'
        )
        if figures.overdue:
            w = max(figures.overdue * scale, 1)
            parts.append(
                f'<rect x="{label_w}" y="{y + 21}" width="{w:.1f}" height="5" '
                f'fill="{SERIES[3][1]}"><title>{escape(labels["overdue"])}: '
                f"{figures.overdue}</title></rect>"
            )
    if not rows:
        parts.append(
            f'<text x="{label_w}" y="{top + 15}" font-size="12">{escape(_("No data."))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text inside is escaped above
