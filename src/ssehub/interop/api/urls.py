"""/api/...: items, organisations, the SDG framework, harvest sources (when the harvest app is
installed), the OpenAPI schema and its browsable docs."""

from django.apps import apps
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ssehub.interop.api import views

urlpatterns = [
    path("items/", views.ItemListView.as_view(), name="api_items"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="api_item"),
    path("organisations/", views.OrganisationListView.as_view(), name="api_organisations"),
    path("organisations/<slug:slug>/", views.OrganisationDetailView.as_view(),
         name="api_organisation"),
    path("sdg/goals/", views.GoalListView.as_view(), name="api_goals"),
    path("sdg/goals/<int:number>/", views.GoalDetailView.as_view(), name="api_goal"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="interop:api_schema"),
         name="api_docs"),
]

if apps.is_installed("ssehub.harvest"):
    from ssehub.interop.api import harvest_views

    urlpatterns += [
        path("harvest/sources/", harvest_views.SourceListView.as_view(),
             name="api_harvest_sources"),
        path("harvest/sources/<slug:name>/", harvest_views.SourceDetailView.as_view(),
             name="api_harvest_source"),
    ]
