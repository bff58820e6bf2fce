"""Remind learners of live sessions and of mandatory courses' due dates.

One pass by default, for cron. ``--loop`` keeps running, for the docker
``training-reminders`` service. Several passes at once remind once: each
session is claimed before its reminders go out, and a deadline reminder is
sent at most once a day per enrolment.
"""

import datetime
import signal
import time

from django.core.management.base import BaseCommand

from training import services


class Command(BaseCommand):
    help = (
        "Notify learners of live sessions starting within 24 hours (once per session) "
        "and of mandatory courses due within a week or overdue (once a day)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24,
                            help="How long before a session its reminder goes out.")
        parser.add_argument("--loop", action="store_true", help="Run a pass every --interval.")
        parser.add_argument("--interval", type=float, default=600.0,
                            help="Seconds between passes with --loop (default 600).")

    def handle(self, *args, hours=24, loop=False, interval=600.0, **options):
        self.running = True

        def stop(signum, frame):
            self.running = False

        if loop:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            sent = services.send_reminders(ahead=datetime.timedelta(hours=hours))
            self.stdout.write(
                f"{sent['sessions']} session reminders, {sent['deadlines']} deadline reminders"
            )
            if not loop:
                return
            deadline = time.monotonic() + interval
            while self.running and time.monotonic() < deadline:
                time.sleep(0.5)
            if not self.running:
                return
