"""URLs of the public portal (namespace ``portal``)."""

from django.urls import path

from ssehub.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.item_list, name="item_list"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/status/", views.item_status, name="item_status"),
    path("items/<int:pk>/sdgs/", views.item_sdg, name="item_sdg"),
    path("items/<int:pk>/files/<int:file_id>/", views.file_download, name="file"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/<slug:slug>/", views.organisation, name="organisation"),
    path("upload/", views.upload, name="upload"),
]
