from django.contrib import admin
from django.urls import include, path

from govdoc.api.v1 import api as api_v1
from govdoc.web import account

urlpatterns = [
    # One log-in for the whole system: the administrators' site uses GovDoc's (ADR 0011).
    path("admin/login/", account.admin_login_redirect, name="admin-login"),
    path("admin/logout/", account.logout_view, name="admin-logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_v1.urls),
    path("", include("govdoc.web.urls")),
]

# Requests Django refuses while reading them (an unknown host, a broken or oversized form):
# the styled page or problem+json, and an audit event (web.refusals).
handler400 = "govdoc.web.refusals.bad_request"
