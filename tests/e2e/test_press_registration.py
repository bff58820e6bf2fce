"""A press company registers from a phone (390x844, Arabic, right to left),
confirms its e-mail from the link the real SMTP server received, signs in
and fills its document vault."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.press.conftest import PDF_BYTES
from tests.smtp import SMTPServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sahafa-Mobile-2026"


def _pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def test_register_confirm_sign_in_and_upload_on_a_phone(new_context, live_url, smtp_daemon):
    smtp_daemon.clear()
    page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                       has_touch=True, locale="ar-MA").new_page()
    page.goto(f"{live_url}/press/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("a[href='/press/register/']").first.click()

    fields = {
        "name_ar": "إذاعة الأطلس", "name_latin": "Radio Atlas", "rc_number": "RC 998877",
        "ice": "002233445000066", "tax_id": "51234567", "cnss_number": "8765432",
        "publications": "Radio Atlas FM", "address": "3 avenue Mohammed V", "city": "Fès",
        "legal_representative": "Youssef Tazi", "full_name": "Youssef Tazi",
        "email": "youssef@radioatlas.ma", "phone": "0661234567",
        "password1": PASSWORD, "password2": PASSWORD,
    }
    form = page.locator("#main form")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=legal_form]").select_option("sa")
    form.locator("[name=medium]").select_option("audiovisual")
    form.locator("[name=region]").select_option("03")
    # The header's language switch is also named "language": this is the form's.
    form.locator("[name=language]").select_option("ar")
    form.locator("[name=statutes]").set_input_files(_pdf("statuts.pdf"))
    form.locator("[name=rc_extract]").set_input_files(_pdf("rc.pdf"))
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/press/register/sent/$"))

    [message] = smtp_daemon.wait_for(1)
    assert message["To"] == "youssef@radioatlas.ma"
    link = re.search(r"https?://\S+", SMTPServer.text_of(message)).group(0)
    page.goto(live_url + urlsplit(link).path)
    page.locator("#main a.button-primary").click()  # "sign in"

    page.locator("#main [name=username]").fill("youssef@radioatlas.ma")
    page.locator("#main [name=password]").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/press/company/$"))
    expect(page.locator("h1")).to_have_text("إذاعة الأطلس")

    page.goto(f"{live_url}/press/vault/")
    upload = page.locator("#main form.form")
    upload.locator("[name=kind]").select_option("cnss_attestation")
    upload.locator("[name=file]").set_input_files(_pdf("cnss.pdf"))
    upload.locator("[name=expires_on]").fill("2099-12-31")
    upload.locator("button[type=submit]").click()
    expect(page.locator("#vault-documents")).to_contain_text("cnss.pdf")
