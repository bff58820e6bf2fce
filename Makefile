# Two commands: `make run` serves the intranet on embedded defaults,
# `make test` runs the whole suite. Every install step lives here.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: run test install install-dev system-deps system-deps-test makemessages messages migrate seed lint bench clean screenshots

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# system-deps first: python-ldap compiles against OpenLDAP's headers.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python system-deps
	$(PY) -m pip install -q .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python system-deps
	$(PY) -m pip install -q ".[dev]"
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages: gettext compiles the catalogues, chromium runs browser tests,
# clamav-daemon is the malware scanner the files tests start (own signatures)
# (never `playwright install`: it downloads, and this network does not allow it).
system-deps:
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; }
	@# Fonts for the certificates' PDF (requests app): Noto Naskh Arabic and DejaVu Sans.
	@# python-ldap (directory sign-in) builds against OpenLDAP's and SASL's headers.
	@test -e /usr/include/ldap.h -a -e /usr/include/sasl/sasl.h || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libldap2-dev libsasl2-dev gcc; }
	@# poppler's pdftoppm draws a PDF's first page as its thumbnail (files app).
	@test -x /usr/bin/pdftoppm || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; }
	@test -e /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf -a -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core fonts-dejavu-core; }

system-deps-test: system-deps
	@{ test -x /usr/bin/chromium && test -d /usr/share/fonts/truetype/noto; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core; }
	@# The directory sign-in tests start their own OpenLDAP server.
	@test -x /usr/sbin/slapd || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils; }
	@# poppler's pdftoppm rasterises PDFs whose QR codes are drawn as vectors (tests/pdfs.py).
	@test -x /usr/bin/pdftoppm || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; }
	@test -x /usr/sbin/clamd || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon clamdscan; }

# Each app keeps its own catalogue (<app>/locale), so apps never conflict.
APPS := collab chat files announcements requests press training
makemessages: install system-deps
	for app in $(APPS); do (cd $$app && ../$(PY) ../manage.py makemessages -l ar -l fr --no-obsolete -v 0); done

messages: install system-deps
	$(PY) manage.py compilemessages -v 0 --ignore=.venv

migrate: install
	$(PY) manage.py migrate --no-input -v 0

seed: migrate
	$(PY) manage.py seed_demo

run: messages seed
	$(PY) manage.py collectstatic --no-input -v 0
	@# The announcements scheduler runs beside Daphne and stops with it; on the
	@# embedded in-memory channel layer Daphne runs it itself and this one exits.
	$(PY) manage.py publish_scheduled & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(PY) -m collab.server -b $(HOST) -p $(PORT) --websocket-max-message-size 65536 --websocket-max-frame-size 65536 asgi:application

# The suite on every core (at most 4 workers: each starts its own servers).
# --dist loadfile keeps a module on one worker, so the servers its
# module-scoped fixtures start are started once. PYTEST_ARGS=-n0 runs serially.
PYTEST_ARGS ?= -n auto --maxprocesses=4 --dist loadfile

test: install-dev system-deps-test
	$(VENV)/bin/ruff check .
	$(PY) manage.py compilemessages -v 0 --ignore=.venv
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(PY) -m pytest $(PYTEST_ARGS)

# The main pages in Arabic and French, desktop and phone, into docs/screenshots/
# (a seeded throw-away SQLite database and server; Debian's Chromium).
screenshots: install-dev system-deps-test messages
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) docs/screenshots.py

# Benchmarks print figures, recorded in docs/benchmarks.md (loopback Redis needed).
bench: install-dev
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(PY) bench/channel_layers.py $(BENCH_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache artifacts
