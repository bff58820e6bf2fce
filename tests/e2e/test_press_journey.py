"""The press space's journey in a browser, the company on a phone (390×844):
register, confirm the e-mail from the real SMTP server, the press office
verifies the company, file a press card, the officer returns it for
correction, the company completes it, the officer approves, the card PDF
carries a QR code leading to the public verification page, which says valid.

The officers' moves go through the engine's services (their back office has
its own browser test); every step of the company is the browser's."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests import multiproc
from tests.pdfs import qr_targets

from .helpers import ARTIFACTS, off_browser_thread, wait_for_socket

PHONE = {"width": 390, "height": 844}
PUBLIC = "https://presse.example.ma"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def press_worker(live_env, smtp_daemon):
    """A worker that sends its mail to the test SMTP server."""
    env = dict(live_env, EMAIL_HOST=smtp_daemon.host, EMAIL_PORT=str(smtp_daemon.port),
               COLLAB_PUBLIC_URL=PUBLIC)
    (worker,) = multiproc.start_daphnes(env, 1, "press-e2e", ARTIFACTS)
    yield worker
    worker.close()


def _files(tmp_path):
    from PIL import Image

    pdf = tmp_path / "document.pdf"
    pdf.write_bytes(PDF)
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (300, 400), (90, 110, 140)).save(photo, "JPEG")
    return pdf, photo


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_register_file_correct_and_verify_a_press_card(press_worker, new_context, smtp_daemon,
                                                       live_redis, tmp_path):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from press.models import Company, Journalist
    from press.models_dossiers import PressCampaign
    from press.seed_dossiers import seed
    from requests import services as engine
    from requests.models import Request, RequestType

    base = press_worker.http_url
    pdf, photo = _files(tmp_path)
    smtp_daemon.clear()
    from django.apps import apps

    seed(apps)  # the types a transactional test before this one may have flushed
    today = datetime.date.today()
    PressCampaign.objects.update_or_create(year=today.year + 1, defaults={
        "deposit_opens": today - datetime.timedelta(days=3),
        "deposit_closes": today + datetime.timedelta(days=30),
        "completion_opens": today + datetime.timedelta(days=31),
        "completion_closes": today + datetime.timedelta(days=60)})
    officer = get_user_model().objects.create_user(
        "press.e2e", password="Secret-pass-123", role="press_officer")
    officer.groups.add(Group.objects.get(name="press_office"))

    # 1. Register from a phone.
    page = new_context(viewport=PHONE, locale="fr-FR").new_page()
    page.goto(f"{base}/press/register/")
    form = page.locator("form").filter(has=page.locator("input[name=ice]"))
    for name, value in {
        "name_ar": "جريدة الصباح", "name_latin": "Assabah", "rc_number": "RC12345",
        "ice": "001234567000089", "tax_id": "1234567", "cnss_number": "7654321",
        "address": "10 rue de Fès", "city": "Rabat", "legal_representative": "Nadia Alami",
        "full_name": "Nadia Alami", "email": "nadia@assabah.ma", "phone": "+212612345678",
        "password1": "Presse-solide-2026", "password2": "Presse-solide-2026",
    }.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=publications]").fill("Assabah")
    form.locator("[name=legal_form]").select_option("sarl")
    form.locator("[name=medium]").select_option("print")
    form.locator("[name=region]").select_option("04")
    form.locator("[name=language]").select_option("fr")
    form.locator("[name=statutes]").set_input_files(str(pdf))
    form.locator("[name=rc_extract]").set_input_files(str(pdf))
    form.locator("button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/press/register/sent/"))

    # 2. Confirm the e-mail address with the link the SMTP server received.
    [mail] = smtp_daemon.wait_for(1)
    link = re.search(r"https?://\S+/press/verify-email/\S+/", smtp_daemon.text_of(mail)).group()
    page.goto(base + urlparse(link).path)
    page.goto(f"{base}/press/login/")
    page.fill("input[name=username]", "nadia@assabah.ma")
    page.fill("input[name=password]", "Presse-solide-2026")
    page.locator("#main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/press/(?!login)"))

    # 3. The press office verifies the company (on the engine).
    company = Company.objects.get(ice="001234567000089")
    verification = Request.objects.get(applicant_organisation=company.organisation_id)
    off_browser_thread(engine.decide, verification.pk, officer, approve=True)
    company.refresh_from_db()
    assert company.is_verified
    journalist = Journalist.objects.create(company=company, name_ar="سعيد", name_latin="Said Tazi",
                              cin="AB123456", position="Reporter",
                              hire_date=datetime.date(2021, 3, 1), cnss_number="123")

    # 4. File a press card from the phone.
    kind = RequestType.objects.get(family="press_card")
    page.goto(f"{base}/press/dossiers/new/press_card/")
    page.locator("[name=journalist]").select_option(str(journalist.pk))
    page.fill("[name=position]", "Reporter")
    page.fill("[name=monthly_salary]", "7000")
    for line in kind.documents.all():
        image = line.accepted_types and "application/pdf" not in line.accepted_types
        page.locator(f"[name=document-{line.pk}]").set_input_files(str(photo if image else pdf))
        if line.validity_days:
            page.fill(f"[name=issued-{line.pk}]", (today - datetime.timedelta(days=5)).isoformat())
    page.get_by_role("button", name=re.compile("Déposer le dossier")).click()
    page.wait_for_url(re.compile(r"/press/dossiers/\d+/$"))
    dossier = Request.objects.get(request_type=kind)
    wait_for_socket(page)

    # 5. Returned for correction: the page follows live, the company completes it.
    record = kind.documents.get(validity_days__isnull=False)
    off_browser_thread(engine.return_for_correction, dossier.pk, officer, items=[
        {"kind": "document_outdated", "document": record.pk, "text": "Casier de plus de 3 mois"}])
    expect(page.get_by_test_id("correction")).to_contain_text("Casier de plus de 3 mois")
    resubmit = page.get_by_test_id("resubmit")
    resubmit.locator(f"[name=document-{record.pk}]").set_input_files(str(pdf))
    resubmit.locator(f"[name=issued-{record.pk}]").fill(today.isoformat())
    resubmit.locator("button[type=submit]").click()
    page.wait_for_load_state()
    dossier.refresh_from_db()
    assert dossier.stage == "review"

    # 6. Approved: the card's PDF carries the QR code of its verification page.
    off_browser_thread(engine.decide, dossier.pk, officer, approve=True)
    page.reload()
    link = page.get_by_test_id("issued-document")
    expect(link).to_be_visible()
    card = page.request.get(base + link.get_attribute("href"))
    assert card.ok and card.headers["content-type"] == "application/pdf"
    [target] = qr_targets(card.body())
    assert target.startswith(f"{PUBLIC}/verify/")

    # 7. Anyone checks it: valid, with the holder's name.
    check = new_context().new_page()
    check.goto(base + urlparse(target).path)
    expect(check.get_by_test_id("valid")).to_be_visible()
    expect(check.locator("main")).to_contain_text("Said Tazi")
    body = check.locator("main").inner_text()
    assert "7000" not in body and "AB123456" not in body
