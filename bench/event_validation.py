"""What checking an event payload against its full schema costs in publish().

    DJANGO_SETTINGS_MODULE=collab.settings .venv/bin/python bench/event_validation.py

Times publish() of a chat.message (html in three languages) inside a
transaction that is rolled back (so nothing is sent: the figure is the
publish() call itself), with COLLAB_VALIDATE_EVENTS off (top-level types, the
production default) and on (pydantic, nested parts: tests and DEBUG).
"""

import os
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from collab import events  # noqa: E402

PAYLOAD = {
    "conversation": 12, "seq": 345, "change": 678, "author_id": 9, "preview": "Bonjour",
    "html": {lang: f'<div class="msg" dir="auto">{"x" * 400}</div>' for lang in ("ar", "fr", "en")},
}
N = 20_000


def per_call(validate: bool) -> float:
    settings.COLLAB_VALIDATE_EVENTS = validate
    with transaction.atomic():
        seconds = min(timeit.repeat(
            lambda: events.publish(events.CHAT_MESSAGE, to=12, **PAYLOAD), number=N, repeat=3))
        transaction.set_rollback(True)
    return seconds / N * 1e6


if __name__ == "__main__":
    off, on = per_call(False), per_call(True)
    print(f"publish() chat.message: {off:.1f} µs top-level check, {on:.1f} µs full schema "
          f"(+{on - off:.1f} µs)")
