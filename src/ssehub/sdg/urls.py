from django.urls import path

from ssehub.sdg import views

app_name = "sdg"
urlpatterns = [
    path("sdg/lens/", views.lens_page, name="lens"),
    path("api/sdg/classify", views.api_classify, name="api_classify"),
]
