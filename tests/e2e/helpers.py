"""Helpers for browser tests (see tests/e2e/conftest.py for the fixtures)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
DEFAULT_TIMEOUT_MS = 10_000

# Colours in JavaScript for contrast checks: parse a computed colour, composite
# translucent layers, the background an element sits on (its ancestors' flat
# colours), relative luminance and the WCAG contrast ratio.
COLOUR_FUNCTIONS = """const parse = (c) => {
  const m = c && c.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3]))
  .concat([1]);
const background = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
};
const lum = (c) => {
  const [r, g, b] = c.slice(0, 3).map((v) => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a, b) => { const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05); };"""


def off_browser_thread(fn, *args, **kwargs):
    """Run ``fn`` in a worker thread and return its result (exceptions propagate).

    Playwright's sync API keeps an asyncio loop marked as running in the test
    thread, so anything calling ``async_to_sync`` there (every
    ``collab.events.publish``, thus every service that notifies) would fail.
    Services that publish must be called through this from browser tests.
    """

    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def login(page, base_url: str, username: str, password: str = "Secret-pass-123") -> None:
    """Sign in through the real login form and wait for the live socket."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("#main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/login/).*$"), timeout=DEFAULT_TIMEOUT_MS)
    wait_for_socket(page)


def wait_for_socket(page) -> None:
    """Wait until this tab's WebSocket said hello (it then receives every event)."""
    page.wait_for_selector("body[data-socket-state=open]", state="attached",
                           timeout=DEFAULT_TIMEOUT_MS)


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under the ignored artifacts/e2e/ folder ("a/b" makes a subfolder)."""
    parts = [re.sub(r"[^A-Za-z0-9_.-]+", "-", part) for part in name.split("/") if part]
    path = ARTIFACTS.joinpath(*parts).with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path
