"""URLs of search: the portal page, the JSON API, the evidence map and saved searches with
their feeds (namespace ``search``)."""

from django.urls import path

from ssehub.search import views
from ssehub.search.feeds import SavedSearchFeed

app_name = "search"
urlpatterns = [
    path("search/", views.search_page, name="page"),
    path("api/search", views.api_search, name="api"),
    path("search/evidence-map/", views.evidence_map, name="evidence_map"),
    path("search/saved/", views.saved_list, name="saved"),
    path("search/saved/new", views.saved_create, name="saved_create"),
    path("search/saved/<int:pk>/delete", views.saved_delete, name="saved_delete"),
    path("search/saved/<int:pk>/alert", views.saved_alert, name="saved_alert"),
    path("search/saved/<str:token>/feed.atom", SavedSearchFeed(), name="saved_feed"),
]
