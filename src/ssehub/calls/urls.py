from django.urls import path

from ssehub.calls import views

app_name = "calls"

urlpatterns = [
    path("", views.call_list, name="list"),
    path("new/", views.call_new, name="new"),
    path("profile/", views.profile, name="profile"),
    path("mine/", views.my_submissions, name="my_submissions"),
    path("mine/<int:pk>/", views.my_submission, name="my_submission"),
    path("mine/<int:pk>/revise/", views.revise, name="revise"),
    path("mine/<int:pk>/file/<int:version>/", views.original_file, name="original_file"),
    path("paper/<int:pk>/", views.paper, name="paper"),
    path("paper/<int:pk>/paper.pdf", views.blind_file, name="blind_file"),
    path("paper/<int:pk>/review/", views.review, name="review"),
    path("<slug:slug>/", views.call_detail, name="detail"),
    path("<slug:slug>/submit/", views.submit, name="submit"),
    path("<slug:slug>/reviewing/", views.reviewing_home, name="reviewing"),
    path("<slug:slug>/programme/", views.programme_page, name="programme"),
    path("<slug:slug>/programme.ics", views.programme_ics, name="programme_ics"),
    path("<slug:slug>/abstracts/", views.abstracts, name="abstracts"),
    path("<slug:slug>/abstracts.pdf", views.abstracts_pdf, name="abstracts_pdf"),
    path("<slug:slug>/manage/", views.manage, name="manage"),
    path("<slug:slug>/manage/edit/", views.call_edit, name="edit"),
    path("<slug:slug>/manage/assignment/", views.assign, name="assign"),
    path("<slug:slug>/manage/decisions/", views.decide, name="decide"),
    path("<slug:slug>/manage/programme/", views.programme_edit, name="programme_edit"),
    path("<slug:slug>/manage/publish/", views.publish, name="publish"),
    path("<slug:slug>/export/<str:what>.<str:fmt>", views.export, name="export"),
]
