from django.contrib import admin
from django.urls import include, path

from govdoc.api.v1 import api as api_v1

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api_v1.urls),
    path("", include("govdoc.web.urls")),
]
