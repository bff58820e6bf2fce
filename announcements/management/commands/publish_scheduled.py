"""Publish scheduled announcements when their time comes, and take expired ones
off the pages already open.

Runs as its own process (docker/: the scheduler service). Several may run at
once: services.publish_due claims each row so every announcement is published
exactly once. With the in-memory channel layer (``make run``), Daphne runs the
scheduler itself (announcements/scheduler.py) and this command says so and
stops: its events would stay in its own memory, and the rows it claimed would
never be pushed to an open page.
"""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from announcements import scheduler


class Command(BaseCommand):
    help = (
        "Publish due scheduled announcements and announce expired ones "
        "(loops; --once for a single pass)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="Seconds between passes (default 5)."
        )

    def handle(self, *args, once=False, interval=5.0, **options):
        if settings.SCHEDULER_IN_PROCESS and not once:
            self.stdout.write(
                "The Daphne process runs the scheduler itself (SCHEDULER_IN_PROCESS: "
                "in-memory channel layer); nothing to do here."
            )
            return
        self.running = True

        def stop(signum, frame):
            self.running = False

        if not once:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            published, expired = scheduler.run_pass()
            if once:
                self.stdout.write(f"published {len(published)}, expired {len(expired)}")
                return
            # Short sleeps so SIGTERM stops the loop promptly.
            deadline = time.monotonic() + interval
            while self.running and time.monotonic() < deadline:
                time.sleep(0.2)
            if not self.running:
                return
