from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("mine/", views.mine, name="mine"),
    path("reports/", views.reports, name="reports"),
    path("courses/<slug:code>/", views.course, name="course"),
]

# Course content, the training record and authoring.
from .urls_content import urlpatterns as content_urlpatterns  # noqa: E402

urlpatterns += content_urlpatterns
