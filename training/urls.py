from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("mine/", views.mine, name="mine"),
    path("reports/", views.reports, name="reports"),
    path("reports/learners/", views.report_learners, name="report_learners"),
    path("reports/export/", views.report_export, name="report_export"),
    path("courses/<slug:code>/", views.course, name="course"),
    path("courses/<slug:code>/enrol/", views.enrol, name="enrol"),
    path("courses/<slug:code>/withdraw/", views.withdraw, name="withdraw"),
    path("courses/<slug:code>/learners/", views.learners, name="learners"),
    path("courses/<slug:code>/mandatory/", views.mandatory, name="mandatory"),
    path("courses/<slug:code>/announce/", views.announce, name="announce"),
    path("courses/<slug:code>/sessions/new/", views.session_new, name="session_new"),
    path("courses/<slug:code>/sessions/<int:pk>/attendance/", views.attendance,
         name="attendance"),
    path("courses/<slug:code>/sessions/<int:pk>/invite.ics", views.session_ics,
         name="session_ics"),
]

# Course content, the training record and authoring.
from .urls_content import urlpatterns as content_urlpatterns  # noqa: E402

urlpatterns += content_urlpatterns
