from django.core.management.base import BaseCommand

from training import services


class Command(BaseCommand):
    help = (
        "Notify learners of live sessions starting within 24 hours (once per session) "
        "and of mandatory courses due within a week or overdue (once a day). Run it "
        "every few minutes from the scheduler or cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24,
                            help="How long before a session its reminder goes out.")

    def handle(self, *args, hours, **options):
        import datetime

        sent = services.send_reminders(ahead=datetime.timedelta(hours=hours))
        self.stdout.write(
            f"{sent['sessions']} session reminders, {sent['deadlines']} deadline reminders"
        )
