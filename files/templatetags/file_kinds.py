"""{{ version.content_type|file_kind }} and {% file_icon version.content_type %}."""

from django import template
from django.utils.html import format_html

from ..kinds import kind_of

register = template.Library()


@register.filter
def file_kind(content_type: str) -> str:
    return str(kind_of(content_type).label)


@register.simple_tag
def file_icon(content_type: str):
    """A page with a folded corner in the kind's colour and its short tag
    (decoration: the friendly name is written beside it)."""
    kind = kind_of(content_type)
    return format_html(
        '<svg class="file-icon" aria-hidden="true" focusable="false" width="32" height="40" '
        'viewBox="0 0 32 40"><path d="M2 2h20l8 8v28H2z" fill="#fff" stroke="{0}" '
        'stroke-width="2"/><path d="M22 2v8h8" fill="none" stroke="{0}" stroke-width="2"/>'
        '<rect x="0" y="22" width="32" height="12" rx="2" fill="{0}"/>'
        '<text x="16" y="31" text-anchor="middle" font-size="9" font-weight="700" '
        'font-family="sans-serif" fill="#fff">{1}</text></svg>',
        kind.colour, kind.icon,
    )
