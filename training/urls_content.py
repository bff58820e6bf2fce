"""Routes of course content, the training record and authoring (added to
training/urls.py)."""

from django.urls import path

from . import views_content as views

urlpatterns = [
    path("learn/<slug:code>/", views.outline, name="outline"),
    path("lessons/<int:pk>/", views.lesson, name="lesson"),
    path("lessons/<int:pk>/media/", views.lesson_media, name="lesson_media"),
    path("lessons/<int:pk>/progress/", views.lesson_progress, name="lesson_progress"),
    path("lessons/<int:pk>/scorm/runtime/", views.scorm_runtime, name="scorm_runtime"),
    path("lessons/<int:pk>/scorm/<path:member>", views.scorm_member, name="scorm_member"),
    path("lessons/<int:pk>/done/", views.lesson_done, name="lesson_done"),
    path("lessons/<int:pk>/quiz/", views.quiz_submit, name="quiz_submit"),
    path("lessons/<int:pk>/assignment/", views.assignment_submit, name="assignment_submit"),
    path("lessons/<int:pk>/submissions/", views.submissions, name="submissions"),
    path("submissions/<int:pk>/file/", views.submission_file, name="submission_file"),
    path("submissions/<int:pk>/grade/", views.grade, name="grade"),
    path("record/", views.record, name="record"),
    path("certificates/<int:pk>/", views.certificate, name="certificate"),
    path("author/<slug:code>/", views.author, name="author"),
    path("author/modules/<int:pk>/", views.author_module, name="author_module"),
    path("author/modules/<int:pk>/lessons/add/", views.author_lesson_add,
         name="author_lesson_add"),
    path("author/lessons/<int:pk>/", views.author_lesson, name="author_lesson"),
    path("author/lessons/<int:pk>/delete/", views.author_lesson_delete,
         name="author_lesson_delete"),
    path("author/lessons/<int:pk>/questions/", views.author_question_add,
         name="author_question_add"),
    path("author/questions/<int:pk>/delete/", views.author_question_delete,
         name="author_question_delete"),
    path("author/<str:what>/<int:pk>/move/", views.author_move, name="author_move"),
]
