from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from requests import views as request_views

from . import audit_views, oidc, two_factor, views
from .forms import LoginForm, PasswordChangeForm
from .middleware import checks_text_itself

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        checks_text_itself(oidc.SignInView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        )),
        name="login",
    ),
    path("logout/", oidc.SignOutView.as_view(), name="logout"),
    # Single sign-on (OpenID Connect), 404 while OIDC_ISSUER is unset.
    path("login/sso/", oidc.sso_start, name="sso_start"),
    path("login/sso/callback/", oidc.sso_callback, name="sso_callback"),
    path("login/code/", two_factor.verify, name="otp_verify"),
    path("login/authenticator/", two_factor.setup, name="otp_setup"),
    # Our own template names: django.contrib.admin (installed earlier) ships
    # registration/password_change_*.html, which would otherwise win.
    path(
        "password/",
        checks_text_itself(auth_views.PasswordChangeView.as_view(
            template_name="collab/password_change_form.html", form_class=PasswordChangeForm
        )),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="collab/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("language/", views.set_language, name="set_language"),
    path("directory/", views.directory, name="directory"),
    path("people/<str:username>/", views.profile, name="profile"),
    path("profile/edit/", views.profile_edit, name="profile_edit"),
    path("profile/photo/", views.avatar_edit, name="avatar_edit"),
    path("people/<str:username>/photo/<str:version>/", views.avatar, name="avatar"),
    path("pickers/people/", views.pick_people, name="pick_people"),
    path("pickers/directorates/", views.pick_directorates, name="pick_directorates"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/panel/", views.notification_panel, name="notification_panel"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export.csv", audit_views.audit_export, {"fmt": "csv"}, name="audit_csv"),
    path("audit/export.xlsx", audit_views.audit_export, {"fmt": "xlsx"}, name="audit_xlsx"),
    path("chat/", include("chat.urls")),
    path("files/", include("files.urls")),
    path("announcements/", include("announcements.urls")),
    path("requests/", include("requests.urls")),
    path("training/", include("training.urls")),
    # The press enterprise space: a public entry with its own shell.
    path("press/", include("press.urls")),
    # One public page verifies every document the ministry issues (no login).
    path("verify/", request_views.verify, name="verify_document_form"),
    path("verify/<str:code>/", request_views.verify, name="verify_document"),
    path("verify/<str:code>/photo/", views.verified_photo, name="verify_document_photo"),
    path("admin/", admin.site.urls),
]
