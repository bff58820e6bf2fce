from django.urls import include, path

from . import views

app_name = "press"
urlpatterns = [
    path("", views.home, name="home"),
    # The dossiers (press/dossier_urls.py).
    path("", include("press.dossier_urls")),
]
