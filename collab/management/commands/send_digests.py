"""E-mail each person who is away what has waited for them (collab/digests.py).

One pass by default, for cron (every 15 minutes is plenty: a digest goes to
each person at most once per their delay). ``--loop`` keeps running, for the
docker ``digests`` service. Several passes at once never send a digest twice.
"""

import signal
import time

from django.core.management.base import BaseCommand

from collab.digests import send_digests


class Command(BaseCommand):
    help = "E-mail digests of unread mentions, direct messages and pending approvals."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Run a pass every --interval.")
        parser.add_argument("--interval", type=float, default=900.0,
                            help="Seconds between passes with --loop (default 900).")

    def handle(self, *args, loop=False, interval=900.0, **options):
        self.running = True

        def stop(signum, frame):
            self.running = False

        if loop:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            sent, skipped = send_digests()
            self.stdout.write(f"digests sent {sent}, not due or not sent {skipped}")
            if not loop:
                return
            deadline = time.monotonic() + interval
            while self.running and time.monotonic() < deadline:
                time.sleep(0.5)
            if not self.running:
                return
