"""Remind learners of live sessions and of mandatory courses' due dates.

One pass by default, for cron. ``--loop`` keeps running, for the docker
``training-reminders`` service. Several passes at once remind once: each
session is claimed before its reminders go out, and a deadline reminder is
sent at most once a day per enrolment.
"""

import datetime

from collab.management.periodic import PeriodicCommand
from training import services


class Command(PeriodicCommand):
    help = (
        "Notify learners of live sessions starting within 24 hours (once per session) "
        "and of mandatory courses due within a week or overdue (once a day)."
    )
    interval = 600.0

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24,
                            help="How long before a session its reminder goes out.")
        super().add_arguments(parser)

    def run_pass(self, *, hours=24, **options) -> str:
        sent = services.send_reminders(ahead=datetime.timedelta(hours=hours))
        return f"{sent['sessions']} session reminders, {sent['deadlines']} deadline reminders"
