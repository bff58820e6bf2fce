from django.urls import path

from . import views, views_office

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
    path("<int:pk>/decision.pdf", views.decision_pdf, name="decision_pdf"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_download,
         name="attachment"),
    path("hr/", views_office.office, name="hr_queue"),
    path("office/", views_office.office, name="office"),
    path("office/statistics/", views_office.statistics, name="statistics"),
    path("<int:pk>/return/", views_office.return_for_correction, name="return"),
    path("<int:pk>/resubmit/", views_office.resubmit, name="resubmit"),
    path("<int:pk>/suspend/", views_office.suspend, name="suspend"),
    path("<int:pk>/resume/", views_office.resume, name="resume"),
    path("<int:pk>/forward/", views_office.forward, name="forward"),
    path("<int:pk>/take/", views_office.take, name="take"),
    path("<int:pk>/assign/", views_office.assign, name="assign"),
    path("<int:pk>/draft/", views_office.draft, name="draft"),
    path("<int:pk>/messages/", views_office.message, name="message"),
    path("<int:pk>/documents/<int:document_id>/check/", views_office.check_document,
         name="check_document"),
    path("team/", views.team_calendar, name="team_calendar"),
    path("delegations/", views.delegations, name="delegations"),
    path("balance/<str:username>/", views.balance, name="balance"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:code>/", views.verify, name="verify_code"),
]
