from django.urls import path

from . import views

app_name = "files"
urlpatterns = [
    path("", views.my_files, name="mine"),
    path("shared/", views.shared_with_me, name="shared"),
    path("directorate/", views.directorate_files, name="directorate"),
    path("directorate/<int:pk>/", views.directorate_files, name="directorate_of"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/share/", views.share, name="share"),
    path("<int:pk>/share/conversation/", views.share_conversation, name="share_conversation"),
    path("<int:pk>/shares/<int:share_pk>/revoke/", views.revoke, name="revoke"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/thumbnail/", views.thumbnail, name="thumbnail"),
]
