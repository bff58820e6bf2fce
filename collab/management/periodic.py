"""Commands that run one pass for cron, or a pass every ``--interval`` with
``--loop`` for a docker service, stopping cleanly on SIGTERM or SIGINT."""

import signal
import time

from django.core.management.base import BaseCommand


class PeriodicCommand(BaseCommand):
    # Seconds between passes with --loop, unless --interval says otherwise.
    interval = 600.0

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Run a pass every --interval.")
        parser.add_argument("--interval", type=float, default=self.interval,
                            help=f"Seconds between passes with --loop (default {self.interval:g}).")

    def run_pass(self, **options) -> str:
        """Do one pass; return the line that reports it."""
        raise NotImplementedError

    def handle(self, *args, loop=False, interval=None, **options):
        interval = self.interval if interval is None else interval
        self.running = True

        def stop(signum, frame):
            self.running = False

        if loop:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            self.stdout.write(self.run_pass(**options))
            if not loop:
                return
            # Short sleeps, so that SIGTERM stops the loop promptly.
            deadline = time.monotonic() + interval
            while self.running and time.monotonic() < deadline:
                time.sleep(0.5)
            if not self.running:
                return
