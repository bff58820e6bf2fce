from django.core.management.base import BaseCommand

from announcements.demo import seed_announcements_demo
from chat.demo import seed_chat_demo
from collab.demo import DEMO_PASSWORD, seed_demo_ministry
from collab.models import Directorate, User
from press.demo import seed_press_demo
from requests.defaults import seed_requests_demo
from training.demo import seed_training_demo


class Command(BaseCommand):
    help = (
        "Seed the demo ministry (directorates, staff, a welcome announcement and a "
        "first conversation) into an empty database."
    )

    def handle(self, *args, **options):
        if Directorate.objects.exists() or User.objects.exists():
            self.stdout.write("Database is not empty: demo data not seeded.")
            return
        counts = seed_demo_ministry()
        seed_requests_demo()  # request types, public holidays, social affairs officer
        seed_announcements_demo()  # a pinned welcome to all staff
        seed_chat_demo()  # a first conversation in a directorate channel
        seed_press_demo()  # press officers, three companies and their dossiers
        seed_training_demo()  # courses, a trainer, enrolments at every stage
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {counts['directorates']} directorates and {counts['users']} users "
                f"(password for every demo account: {DEMO_PASSWORD})."
            )
        )
