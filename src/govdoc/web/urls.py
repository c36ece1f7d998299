from django.urls import path

from govdoc.web import public

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    path("pki/root.pem", public.root_certificate, name="pki-root"),
    path("pki/crl.der", public.crl, name="pki-crl"),
    path("pki/tsa", public.timestamp, name="pki-tsa"),
]
