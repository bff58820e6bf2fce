from django.urls import path

from . import views

app_name = "requests"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("new/<slug:code>/", views.create, name="create"),
    path("new/<slug:code>/quote/", views.leave_quote, name="leave_quote"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decide/<int:step>/", views.decide_step, name="decide_step"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_download,
         name="attachment"),
    path("hr/", views.hr_queue, name="hr_queue"),
    path("team/", views.team_calendar, name="team_calendar"),
    path("delegations/", views.delegations, name="delegations"),
    path("balance/<str:username>/", views.balance, name="balance"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:code>/", views.verify, name="verify_code"),
]
