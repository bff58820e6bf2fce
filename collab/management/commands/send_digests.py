"""E-mail each person who is away what has waited for them (collab/digests.py).

One pass by default, for cron (every 15 minutes is plenty: a digest goes to
each person at most once per their delay). ``--loop`` keeps running, for the
docker ``digests`` service. Several passes at once never send a digest twice.
"""

from collab.digests import send_digests
from collab.management.periodic import PeriodicCommand


class Command(PeriodicCommand):
    help = "E-mail digests of unread mentions, direct messages and pending approvals."
    interval = 900.0

    def run_pass(self, **options) -> str:
        sent, skipped = send_digests()
        return f"digests sent {sent}, not due or not sent {skipped}"
