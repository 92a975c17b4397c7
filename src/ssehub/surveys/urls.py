"""Survey URLs: personal and open links for respondents, editors' pages under /surveys/."""

from django.urls import path

from ssehub.surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.survey_list, name="list"),
    path("surveys/r/<str:token>/", views.respond, name="respond"),
    path("surveys/open/<str:key>/", views.open_link, name="open"),
    path("surveys/reports/<int:pk>/", views.report, name="report"),
    path("surveys/<str:name>/", views.dashboard, name="dashboard"),
    path("surveys/<str:name>/actions/", views.dashboard_action, name="action"),
    path("surveys/<str:name>/export.<str:fmt>", views.export, name="export"),
    path("surveys/<str:name>/analysis/", views.analysis_page, name="analysis"),
    path("surveys/<str:name>/codes/", views.codes, name="codes"),
    path("surveys/<str:name>/publish/", views.publish, name="publish"),
    path("surveys/<str:name>/files/<str:sha256>", views.uploaded_file, name="file"),
]
