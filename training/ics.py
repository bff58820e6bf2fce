"""An iCalendar (RFC 5545) invitation for a live session, written by hand: one
VEVENT, times in UTC, text escaped and lines folded at 75 octets."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    # Lines longer than 75 octets continue on the next line after a space;
    # never split inside a UTF-8 character (Arabic titles).
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def invitation(session, course_url: str) -> str:
    course = session.course
    host = (settings.ALLOWED_HOSTS or ["intranet"])[0].lstrip(".") or "intranet"
    if host == "*":
        host = "intranet"
    summary = course.title if not session.title else f"{course.title} · {session.title}"
    description = f"{session.meeting_url}\n{course_url}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Ministry of Communication//collab training//AR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:training-session-{session.pk}@{host}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(session.starts_at)}",
        f"DTEND:{_utc(session.ends_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        f"LOCATION:{_escape(session.meeting_url)}",
        f"URL:{session.meeting_url}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-PT15M",
        f"DESCRIPTION:{_escape(summary)}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
