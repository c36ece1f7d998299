from django.urls import path

from govdoc.web import account, citizen, public, registry, staff, verify

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    path("favicon.ico", public.favicon, name="favicon"),
    path("login/", account.login_view, name="login"),
    path("login/code/", account.login_code_view, name="login-code"),
    path("login/enrol/", account.login_enrol_view, name="login-enrol"),
    path("login/confirm/", account.login_confirm_view, name="login-confirm"),
    path("logout/", account.logout_view, name="logout"),
    path("signup/", account.signup_view, name="signup"),
    path("signup/confirm/<str:uidb64>/<str:token>/", account.signup_confirm_view, name="signup-confirm"),
    path("account/password/", account.password_change_view, name="password-change"),
    path("password/reset/", account.password_reset_view, name="password-reset"),
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        account.password_reset_confirm_view,
        name="password-reset-confirm",
    ),
    path("script/", account.script_view, name="script"),
    path("services/", citizen.catalogue, name="services"),
    path("services/<slug:code>/apply/", citizen.apply, name="apply"),
    path("my/applications/", citizen.my_applications, name="my-applications"),
    path("my/applications/<uuid:application_id>/", citizen.my_application, name="my-application"),
    path("my/applications/<uuid:application_id>/receipt", citizen.receipt, name="receipt"),
    path("my/documents/<uuid:issued_id>/", citizen.issued, name="issued"),
    path("my/documents/<uuid:issued_id>/pdf", citizen.issued_pdf, name="issued-pdf"),
    path("inbox/", citizen.inbox, name="inbox"),
    path("my/data-access/", citizen.data_access, name="data-access"),
    path("inbox/<uuid:message_id>/", citizen.inbox_message, name="inbox-message"),
    path("inbox/<uuid:message_id>/read/", citizen.inbox_read, name="inbox-read"),
    path("work/", staff.workspace, name="work"),
    path("work/pin/", staff.signing_pin, name="signing-pin"),
    path("work/cases/", staff.cases, name="work-cases"),
    path("work/applications/<uuid:application_id>/", staff.application, name="work-application"),
    path(
        "work/applications/<uuid:application_id>/attachments/<uuid:attachment_id>",
        staff.attachment,
        name="work-attachment",
    ),
    path("work/steps/<uuid:step_id>/decide/", staff.decide, name="decide"),
    path("work/registry/", registry.registry, name="registry"),
    path("work/registry.csv", registry.registry_csv, name="registry-csv"),
    path("work/registry/<uuid:entry_id>/cancel/", registry.registry_cancel, name="registry-cancel"),
    path("verify/", verify.verify_form, name="verify"),
    path("verify/file/", verify.verify_file, name="verify-file"),
    path("verify/<str:code>", verify.verify_by_code, name="verify-code"),
    # what the QR code opens: short and upper case, so the QR stays in alphanumeric mode
    path("V/<str:code>", verify.verify_by_qr, name="verify-qr"),
    path("pki/root.pem", public.root_certificate, name="pki-root"),
    path("pki/crl.der", public.crl, name="pki-crl"),
    path("pki/signers.json", public.payload_signers, name="pki-signers"),
    path("pki/tsa", public.timestamp, name="pki-tsa"),
]
