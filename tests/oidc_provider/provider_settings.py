"""Settings of the test OpenID Connect provider (not collab's)."""

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "test-provider-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oidc_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "provider_hooks.ForgeTokenMiddleware",
]
ROOT_URLCONF = "provider_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [os.path.join(BASE_DIR, "templates")],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.path.join(os.environ["PROVIDER_DATA_DIR"], "provider.sqlite3"),
}}
USE_TZ = True
LOGIN_URL = "/accounts/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, test only
SITE_URL = os.environ["PROVIDER_SITE_URL"]
OIDC_IDTOKEN_INCLUDE_CLAIMS = True
OIDC_USERINFO = "provider_hooks.userinfo"
OIDC_EXTRA_SCOPE_CLAIMS = "provider_hooks.MinistryClaims"
OIDC_IDTOKEN_PROCESSING_HOOK = "provider_hooks.misbehave"
