from django.urls import path

from ssehub.harvest import views

app_name = "harvest"
urlpatterns = [path("harvest/", views.status_page, name="status")]
