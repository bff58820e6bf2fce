"""End to end: two people, two browsers, Arabic messages live; one drops off,
messages arrive meanwhile, it comes back and sees each of them once.

Self-contained (the shared e2e harness lives on another branch): the stage in
procs.py runs two Daphne processes sharing our own redis-server, and static
files are served to the browser from Django's finders, as collectstatic would.
"""

from __future__ import annotations

import mimetypes

import pytest
from django.contrib.staticfiles import finders
from playwright.sync_api import expect, sync_playwright

from .procs import Stage

pytestmark = [pytest.mark.browser, pytest.mark.multiprocess]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    stage = Stage(tmp_path_factory.mktemp("chat-e2e"), daphnes=2)
    try:
        stage.start()
        yield stage
    finally:
        stage.stop()


def serve_static(route):
    path = route.request.url.split("/static/", 1)[1].split("?", 1)[0]
    found = finders.find(path)
    if not found:
        route.fulfill(status=404, body="")
        return
    kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
    with open(found, "rb") as f:
        route.fulfill(status=200, body=f.read(), headers={"Content-Type": kind})


def open_tab(browser, stage, user, daphne, conversation):
    origin = stage.origin(daphne)
    context = browser.new_context(locale="ar")
    context.add_cookies([{"name": "sessionid", "value": stage.data["users"][user]["session"],
                          "url": origin}])
    context.route("**/static/**", serve_static)
    page = context.new_page()
    page.goto(f"{origin}/chat/{conversation}/")
    expect(page.locator("body")).to_have_attribute("data-socket-state", "open", timeout=15000)
    return context, page


def send(page, text):
    box = page.locator("#composer-body")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("", timeout=10000)


def test_two_people_chat_live_in_arabic_and_nothing_is_lost_offline(stage):
    d1 = stage.data["channels"]["d1"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            _alice_ctx, alice = open_tab(browser, stage, "alice", 0, d1)
            _bob_ctx, bob = open_tab(browser, stage, "bob", 1, d1)

            send(alice, "السلام عليكم، هل الاجتماع **غدا**؟")
            got = bob.locator(".msg", has_text="السلام عليكم")
            expect(got).to_have_count(1, timeout=10000)
            expect(got.locator("strong")).to_have_text("غدا")
            direction = got.locator(".msg-body").evaluate("e => getComputedStyle(e).direction")
            assert direction == "rtl"

            # Shift+Enter makes a new line instead of sending.
            box = bob.locator("#composer-body")
            box.fill("نعم")
            box.press("Shift+Enter")
            box.type("في العاشرة")
            assert box.input_value() == "نعم\nفي العاشرة"
            box.press("Enter")
            expect(alice.locator(".msg", has_text="في العاشرة")).to_have_count(1, timeout=10000)

            # Bob's Daphne process goes away: his tab loses its socket.
            stage.stop_daphne(1)
            expect(bob.locator("body")).to_have_attribute(
                "data-socket-state", "reconnecting", timeout=10000
            )
            expect(bob.locator("#socket-status")).to_be_visible()
            missed = ["الرسالة الأولى أثناء الانقطاع", "الرسالة الثانية", "Troisième message"]
            for text in missed:
                send(alice, text)

            stage.start_daphne(1)  # back; collab.js reconnects and chat.js resyncs
            expect(bob.locator("#socket-status.is-ok")).to_be_visible(timeout=45000)
            for text in missed:
                expect(bob.locator(".msg", has_text=text)).to_have_count(1, timeout=10000)
            ids = bob.locator(".msg").evaluate_all("els => els.map(e => e.id)")
            assert len(ids) == len(set(ids)) == 5
            seqs = bob.locator(".msg").evaluate_all("els => els.map(e => +e.dataset.seq)")
            assert seqs == sorted(seqs) == list(range(1, 6))

            # And live again after the reconnect, both ways.
            send(bob, "وصلت كل الرسائل")
            expect(alice.locator(".msg", has_text="وصلت كل الرسائل")).to_have_count(1,
                                                                                   timeout=10000)
        finally:
            browser.close()
