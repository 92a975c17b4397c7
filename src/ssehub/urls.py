"""URL configuration: the portal, authentication, language switching and the back office."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("", include("ssehub.portal.urls")),
    path("", include("ssehub.search.urls")),
    path("", include("ssehub.sdg.urls")),
    path("", include("ssehub.harvest.urls")),
    path("", include("ssehub.interop.urls")),
    path("", include("ssehub.surveys.urls")),
    path("calls/", include("ssehub.calls.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "SSE Hub"
admin.site.site_title = "SSE Hub"

