from django.urls import include, path

from . import views

app_name = "press"
urlpatterns = [
    path("", views.home, name="home"),
    # Registration, e-mail verification, sign-in and password reset.
    path("register/", views.register, name="register"),
    path("register/sent/", views.registered, name="registered"),
    path("verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path("login/", views.login, name="login"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm,
         name="password_reset_confirm"),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("invitation/<uidb64>/<token>/", views.accept_invitation, name="accept_invitation"),
    # The company: its page and verification, members, journalists, vault.
    path("company/", views.company, name="company"),
    path("company/edit/", views.company_edit, name="company_edit"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("journalists/", views.journalists, name="journalists"),
    path("journalists/new/", views.journalist_edit, name="journalist_new"),
    path("journalists/<int:pk>/", views.journalist_edit, name="journalist_edit"),
    path("journalists/<int:pk>/photo/", views.journalist_photo, name="journalist_photo"),
    path("vault/", views.vault, name="vault"),
    path("vault/<int:pk>/download/", views.vault_download, name="vault_download"),
    path("vault/<int:pk>/delete/", views.vault_delete, name="vault_delete"),
    # The dossiers (press/dossier_urls.py).
    path("", include("press.dossier_urls")),
]
