"""Seed the browser test's own database (run in the Daphne's environment)."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")
django.setup()

from collab.models import Directorate, User  # noqa: E402
from requests.defaults import seed_requests_demo  # noqa: E402

PASSWORD = sys.argv[1]
directorate = Directorate.objects.create(code="dsi", name_ar="مديرية نظم المعلومات",
                                         name_fr="Direction des systèmes d'information",
                                         kind="central")


def make(username, **extra):
    user = User(username=username, directorate=directorate, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


manager = make("e2e.manager", role="manager", first_name="Nadia", last_name="Tazi",
               full_name_ar="نادية التازي", preferred_language="ar")
employee = make("e2e.employee", first_name="Karim", last_name="Benali",
                full_name_ar="كريم بنعلي", manager=manager, preferred_language="fr")
seed_requests_demo()
print(json.dumps({"manager": manager.username, "employee": employee.username}))
