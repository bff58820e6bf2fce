from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("mine/", views.mine, name="mine"),
    path("reports/", views.reports, name="reports"),
    path("courses/<slug:code>/", views.course, name="course"),
]
