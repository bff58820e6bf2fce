from django.urls import path

from . import views

app_name = "chat"
urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("groups/new/", views.group_new, name="group_new"),
    path("direct/<str:username>/", views.direct, name="direct"),
    path("<int:pk>/", views.conversation, name="conversation"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/read/", views.read, name="read"),
    path("<int:pk>/rename/", views.rename, name="rename"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/mute/", views.mute, name="mute"),
    path("<int:pk>/mentions/", views.mentions, name="mentions"),
    path("<int:pk>/remove/<int:user_id>/", views.remove, name="remove"),
]
