"""The dossiers' pages, included in the press namespace (press/urls.py)."""

from django.urls import path

from . import dossier_views as views

urlpatterns = [
    path("dossiers/", views.dashboard, name="dossiers"),
    path("dossiers/new/", views.new, name="dossier_new"),
    path("dossiers/new/<slug:family>/", views.file, name="dossier_file"),
    path("dossiers/<int:pk>/", views.dossier, name="dossier"),
    path("dossiers/<int:pk>/messages/", views.message, name="dossier_message"),
    path("dossiers/<int:pk>/resubmit/", views.resubmit, name="dossier_resubmit"),
    path("dossiers/<int:pk>/document.pdf", views.document_pdf, name="dossier_document"),
    path("office/dossiers/<int:pk>/minutes/", views.minutes, name="dossier_minutes"),
    path("office/statistics/", views.statistics, name="statistics"),
]
