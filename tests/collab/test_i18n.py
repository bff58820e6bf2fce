"""Translations: every catalogue complete and current, pages in the right language and direction."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
APPS = ["collab", "chat", "files", "announcements", "requests", "press", "training"]
LANGUAGES = ["ar", "fr"]
APPS_WITH_LOCALE = [app for app in APPS if (ROOT / app / "locale").is_dir()]
NPLURALS = {"ar": 6, "fr": 2}


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: flags, msgctxt, msgid, msgid_plural, msgstr (list)."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}, "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.groups()
            if keyword.startswith("msgstr"):
                field = ("msgstr", int(index or 0))
                entry["msgstr"][field[1]] = ast.literal_eval(value)
            else:
                field = (keyword, None)
                entry[keyword] = ast.literal_eval(value)
        elif line.startswith('"') and field is not None:
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += ast.literal_eval(line)
            else:
                entry[field[0]] += ast.literal_eval(line)
        else:
            raise AssertionError(f"{path}: cannot read line {raw!r}")
    finish()
    return entries


def catalogue(app: str, language: str) -> Path:
    return ROOT / app / "locale" / language / "LC_MESSAGES" / "django.po"


def msgid_keys(entries: list[dict]) -> set[tuple]:
    return {
        (e.get("msgctxt"), e["msgid"], e.get("msgid_plural"))
        for e in entries
        if e["msgid"] and not e["obsolete"]
    }


def test_every_app_with_strings_is_checked():
    assert "collab" in APPS_WITH_LOCALE
    for app in APPS:
        assert (ROOT / app / "locale").is_dir(), f"{app}/ has no locale/ folder for its catalogue"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("app", APPS_WITH_LOCALE)
def test_catalogue_is_fully_translated(app, language):
    path = catalogue(app, language)
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make makemessages` and translate")
    entries = parse_po(path)
    header = next(e for e in entries if e["msgid"] == "")
    assert "fuzzy" not in header["flags"], f"{path}: the header is still marked fuzzy"
    plural_forms = re.search(r"nplurals=(\d+)", header["msgstr"][0])
    assert plural_forms, f"{path}: no Plural-Forms header"
    assert int(plural_forms.group(1)) == NPLURALS[language], f"{path}: wrong Plural-Forms"
    problems = []
    for e in entries:
        if not e["msgid"] or e["obsolete"]:
            continue
        if "fuzzy" in e["flags"]:
            problems.append(f"fuzzy: {e['msgid']!r}")
        expected = NPLURALS[language] if "msgid_plural" in e else 1
        forms = [e["msgstr"].get(i, "") for i in range(expected)]
        if len(e["msgstr"]) != expected or not all(form.strip() for form in forms):
            problems.append(f"untranslated: {e['msgid']!r}")
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_text_shared_by_two_apps_reads_the_same_in_both(language):
    # Django merges every app's catalogue into one: for a text two apps share,
    # the app listed first wins. Two translations of one text mean one app
    # shows the other's; a text that means different things needs a context.
    seen: dict[tuple, dict[str, tuple]] = {}
    for app in APPS_WITH_LOCALE:
        for entry in parse_po(catalogue(app, language)):
            if not entry["msgid"] or entry["obsolete"]:
                continue
            key = (entry.get("msgctxt"), entry["msgid"], entry.get("msgid_plural"))
            translation = tuple(entry["msgstr"][i] for i in sorted(entry["msgstr"]))
            seen.setdefault(key, {})[app] = translation
    clashes = {key: apps for key, apps in seen.items() if len(set(apps.values())) > 1}
    assert not clashes, f"translated differently by different apps: {clashes}"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """Run makemessages on a copy of each app; the real tree is left untouched."""
    results = {}

    def regenerate(app):
        if app not in results:
            copy = tmp_path_factory.mktemp("messages") / app
            shutil.copytree(
                ROOT / app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
            )
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "makemessages", "--no-obsolete",
                 "-v", "0", *[arg for lang in LANGUAGES for arg in ("-l", lang)]],
                cwd=copy, check=True, capture_output=True, timeout=120,
            )
            results[app] = copy
        return results[app]

    return regenerate


@pytest.mark.parametrize("app", APPS_WITH_LOCALE)
def test_catalogue_is_up_to_date_with_the_sources(app, regenerated):
    copy = regenerated(app)
    for language in LANGUAGES:
        fresh = copy / "locale" / language / "LC_MESSAGES" / "django.po"
        current = catalogue(app, language)
        fresh_keys = msgid_keys(parse_po(fresh)) if fresh.exists() else set()
        current_keys = msgid_keys(parse_po(current)) if current.exists() else set()
        missing = sorted(k[1] for k in fresh_keys - current_keys)
        stale = sorted(k[1] for k in current_keys - fresh_keys)
        assert not missing and not stale, (
            f"{app}/locale/{language} is out of date (run `make makemessages`, translate, "
            f"compile): new strings {missing}, strings no longer used {stale}"
        )


# ---- Pages in each language ------------------------------------------------

LOGIN_HEADINGS = {
    "ar": "تسجيل الدخول إلى الشبكة الداخلية",
    "fr": "Connexion à l’intranet",
    "en": "Sign in to the intranet",
}


DIRECTORY_LINK = {"ar": "دليل الموظفين", "fr": "Annuaire du personnel", "en": "Staff directory"}


def html_tag(content: str) -> str:
    return re.search(r"<html[^>]*>", content).group(0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "direction"), [("ar", "rtl"), ("fr", "ltr"), ("en", "ltr")]
)
def test_login_page_follows_the_browser_language(language, direction):
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE=language)
    content = response.content.decode()
    assert response.status_code == 200
    assert f'lang="{language}" dir="{direction}"' in html_tag(content)
    assert LOGIN_HEADINGS[language] in content


@pytest.mark.django_db
def test_arabic_is_the_default_language():
    content = Client().get("/login/").content.decode()
    assert 'lang="ar" dir="rtl"' in html_tag(content)


@pytest.mark.django_db
def test_anonymous_switch_is_remembered_by_cookie():
    client = Client()
    response = client.post("/language/", {"language": "fr", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    content = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'lang="fr" dir="ltr"' in html_tag(content)
    assert LOGIN_HEADINGS["fr"] in content


@pytest.mark.django_db
def test_signed_in_users_preferred_language_wins(user_factory):
    user = user_factory(preferred_language="fr")
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    content = client.get("/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'lang="fr" dir="ltr"' in html_tag(content)
    assert "Annuaire du personnel" in content


@pytest.mark.django_db
def test_switching_language_from_the_header_is_remembered_on_the_account(user_factory):
    user = user_factory(preferred_language="fr")
    client = Client()
    client.force_login(user)
    response = client.post("/language/", {"language": "ar", "next": "/directory/"})
    assert response.status_code == 302
    assert response["Location"] == "/directory/"
    user.refresh_from_db()
    assert user.preferred_language == "ar"
    content = client.get("/directory/").content.decode()
    assert 'lang="ar" dir="rtl"' in html_tag(content)
    assert "دليل الموظفين" in content

    # Another browser, no cookie, a French browser: the account still says Arabic.
    elsewhere = Client()
    elsewhere.force_login(user)
    content = elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'lang="ar" dir="rtl"' in html_tag(content)


@pytest.mark.django_db
def test_language_switch_refuses_unknown_languages_and_foreign_redirects(user_factory):
    user = user_factory(preferred_language="en")
    client = Client()
    client.force_login(user)
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.preferred_language == "en"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_every_foundation_page_renders_in_each_language(language, user_factory):
    user = user_factory(preferred_language=language, username="karim")
    client = Client()
    client.force_login(user)
    direction = "rtl" if language == "ar" else "ltr"
    for url in ["/", "/directory/", "/people/karim/", "/profile/edit/", "/password/",
                "/notifications/", "/notifications/panel/", "/password/done/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        if url != "/notifications/panel/":
            assert f'lang="{language}" dir="{direction}"' in html_tag(content), url
            assert DIRECTORY_LINK[language] in content, url


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(1, "منذ دقيقة"), (2, "منذ دقيقتين"), (3, "منذ 3 دقائق"), (11, "منذ 11 دقيقة")],
)
def test_arabic_relative_times_agree_with_the_number(minutes, expected):
    # Django's own Arabic says "منذ 3 دقيقة"; collab's catalogue corrects it.
    from datetime import timedelta

    from django.contrib.humanize.templatetags.humanize import naturaltime
    from django.utils import timezone, translation

    with translation.override("ar"):
        assert naturaltime(timezone.now() - timedelta(minutes=minutes, seconds=5)) == expected
