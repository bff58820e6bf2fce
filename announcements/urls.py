from django.urls import path

from . import views

app_name = "announcements"
urlpatterns = [
    path("", views.feed, name="feed"),
    path("archive/", views.archive, name="archive"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.create, name="create"),
    path("preview/", views.preview, name="preview"),
    path("images/", views.image_upload, name="image_upload"),
    path("images/<int:pk>/", views.image, name="image"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/stats/", views.stats, name="stats"),
    path("<int:pk>/stats.csv", views.stats_csv, name="stats_csv"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("api/announcements/", views.api_announcements, name="api_list"),
    path("api/announcements/<int:pk>/", views.api_announcement, name="api_detail"),
]
