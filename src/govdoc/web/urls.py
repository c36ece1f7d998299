from django.urls import path

from govdoc.web import account, public

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    path("login/", account.login_view, name="login"),
    path("logout/", account.logout_view, name="logout"),
    path("signup/", account.signup_view, name="signup"),
    path("script/", account.script_view, name="script"),
    path("pki/root.pem", public.root_certificate, name="pki-root"),
    path("pki/crl.der", public.crl, name="pki-crl"),
    path("pki/tsa", public.timestamp, name="pki-tsa"),
]
