"""Publish scheduled announcements when their time comes, and take expired ones
off the pages already open.

Runs as its own process (`make run` starts it beside Daphne; docker/ as its own
service). Several may run at once: services.publish_due claims each row so
every announcement is published exactly once.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from announcements import services

logger = logging.getLogger("announcements.scheduler")


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
        self.running = True

        def stop(signum, frame):
            self.running = False

        if not once:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            published, expired = [], []
            try:
                published = services.publish_due()
                expired = services.expire_due()
            except Exception:  # keep the loop alive through a database hiccup
                logger.exception("scheduled publication pass failed")
            finally:
                close_old_connections()
            for pk in published:
                logger.info("published scheduled announcement %s", pk)
            for pk in expired:
                logger.info("announcement %s expired", pk)
            if once:
                self.stdout.write(f"published {len(published)}, expired {len(expired)}")
                return
            # Short sleeps so SIGTERM stops the loop promptly.
            deadline = time.monotonic() + interval
            while self.running and time.monotonic() < deadline:
                time.sleep(0.2)
            if not self.running:
                return
