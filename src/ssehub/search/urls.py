"""URLs of search: the portal page and the JSON API (namespace ``search``)."""

from django.urls import path

from ssehub.search import views

app_name = "search"
urlpatterns = [
    path("search/", views.search_page, name="page"),
    path("api/search", views.api_search, name="api"),
]
