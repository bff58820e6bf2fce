import pytest
from django.core.management import call_command

from announcements.models import Announcement
from chat.models import Message
from collab.demo import DEMO_PASSWORD
from collab.models import Directorate, User

pytestmark = pytest.mark.django_db


def test_seed_builds_a_realistic_ministry_once(capsys):
    call_command("seed_demo")
    regional = Directorate.objects.filter(kind="regional")
    assert regional.count() == 12
    assert Directorate.objects.filter(kind="central").count() >= 5
    sg = Directorate.objects.get(code="sg")
    assert all(d.parent_id == sg.pk for d in Directorate.objects.exclude(pk=sg.pk))
    for directorate in Directorate.objects.exclude(pk=sg.pk):
        director = User.objects.get(directorate=directorate, role="manager")
        staff = User.objects.filter(directorate=directorate, role="staff")
        assert staff.exists()
        assert all(person.manager_id == director.pk for person in staff)
    assert User.objects.filter(role="hr_officer").count() >= 2
    assert User.objects.filter(role="communication_officer").exists()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    auditor = User.objects.get(username="auditeur")
    assert auditor.is_auditor and not auditor.is_staff and auditor.check_password(DEMO_PASSWORD)
    assert all(u.full_name_ar for u in User.objects.all())
    # Something to read on the first visit: a pinned welcome, a first conversation.
    welcome = Announcement.objects.get()
    assert welcome.to_all_staff and welcome.pinned and welcome.state == "published"
    dsi_channel = Directorate.objects.get(code="dsi").chat_channel
    assert Message.objects.filter(conversation=dsi_channel).count() == 4

    # Distance training: the three demo courses, a trainer, enrolments at every stage.
    from training.models import Course, Enrolment

    assert {"demo-video", "demo-quiz", "demo-sessions"} <= set(
        Course.objects.values_list("code", flat=True))
    assert User.objects.get(username="drh.formateur").role == "trainer"
    statuses = set(Enrolment.objects.values_list("status", flat=True))
    assert {"enrolled", "in_progress", "pending_approval", "waiting_list"} <= statuses
    assert Enrolment.objects.filter(source="assigned").exists()
    assert Course.objects.get(code="demo-sessions").sessions.count() == 3
    assert Course.objects.get(code="demo-video").modules.exists()

    users = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == users
    assert "not empty" in capsys.readouterr().out


def test_descendants_include_sub_directorates(directorate_factory):
    top = directorate_factory()
    child = directorate_factory(parent=top)
    grandchild = directorate_factory(parent=child)
    directorate_factory()
    assert top.descendant_ids() == {top.pk, child.pk, grandchild.pk}
