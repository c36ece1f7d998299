"""Log in, log out, citizen sign-up (confirmed by e-mail), password change and reset, and the
choice of script (Latin, Cyrillic, English)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govdoc.accounts import identity, services
from govdoc.accounts.constants import Script
from govdoc.accounts.errors import (
    AccountLinkInvalidError,
    AccountLockedError,
    InvalidCredentialsError,
    PasswordInvalidError,
    RegistrationInvalidError,
)
from govdoc.accounts.models import Person

SCRIPT_SESSION_KEY = "govdoc_script"


def _next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"next": _next(request), "username": ""}
    if request.method == "POST":
        username = request.POST.get("username", "")
        context["username"] = username
        try:
            person = identity.authenticate(
                request, username=username, password=request.POST.get("password", "")
            )
        except (InvalidCredentialsError, AccountLockedError) as exc:
            context["error"] = exc.message
            return render(request, "web/account/login.html", context, status=400)
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SCRIPT_SESSION_KEY] = person.preferred_script
        return HttpResponseRedirect(_next(request))
    return render(request, "web/account/login.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect("/")


@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    """A good form always gets the same answer, "check your e-mail" (ADR 0012): whether the
    username or the JMBG is taken is said only in the e-mail sent to the address given."""
    fields = ["username", "first_name", "last_name", "email", "national_id", "preferred_script"]
    values = {name: request.POST.get(name, "") for name in fields}
    if request.method == "POST":
        try:
            services.citizen_register(
                username=values["username"],
                password=request.POST.get("password", ""),
                first_name=values["first_name"],
                last_name=values["last_name"],
                email=values["email"],
                national_id=values["national_id"],
                preferred_script=values["preferred_script"] or Script.LATIN,
            )
        except RegistrationInvalidError as exc:
            errors = exc.details.get("errors", {})
            return render(
                request,
                "web/account/signup.html",
                {"values": values, "errors": errors, "scripts": Script.choices},
                status=400,
            )
        return render(request, "web/account/signup_sent.html", {"email": values["email"].strip()})
    values["preferred_script"] = request.session.get(SCRIPT_SESSION_KEY, Script.LATIN)
    return render(
        request, "web/account/signup.html", {"values": values, "errors": {}, "scripts": Script.choices}
    )


@require_http_methods(["GET", "POST"])
def signup_confirm_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of the confirmation e-mail. Opening it (GET) changes nothing, so a mail
    scanner that follows links does not use it up; the button confirms."""
    if request.method == "POST":
        try:
            services.signup_confirm(uidb64=uidb64, token=token)
        except AccountLinkInvalidError as exc:
            return render(request, "web/account/link_invalid.html", {"error": exc.message}, status=400)
        messages.success(
            request, _("Vaš nalog je potvrđen: prijavite se. / Your account is confirmed: log in.")
        )
        return HttpResponseRedirect("/login/")
    return render(request, "web/account/signup_confirm.html", {})


def _password_page(request: HttpRequest, template: str, errors: object, status: int = 200) -> HttpResponse:
    return render(request, template, {"errors": errors}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    """The old password and the new one twice; every other session of the person ends."""
    person = request.user
    assert isinstance(person, Person)
    if request.method == "POST":
        try:
            person = services.password_change(
                person=person,
                old_password=request.POST.get("old_password", ""),
                new_password=request.POST.get("new_password", ""),
                new_password_again=request.POST.get("new_password_again", ""),
            )
        except PasswordInvalidError as exc:
            return _password_page(
                request, "web/account/password_change.html", exc.details.get("errors", {}), status=400
            )
        update_session_auth_hash(request, person)  # this session stays; the others end
        messages.success(request, _("Lozinka je promenjena. / Your password is changed."))
        return HttpResponseRedirect("/")
    return _password_page(request, "web/account/password_change.html", {})


@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    """Forgot the password: the same answer whatever was typed (no account enumeration)."""
    if request.method == "POST":
        services.password_reset_request(login=request.POST.get("login", ""))
        return render(request, "web/account/password_reset_sent.html", {})
    return render(request, "web/account/password_reset.html", {})


_RESET_SESSION_KEY = "govdoc_password_reset_token"
_RESET_URL_TOKEN = "set-password"  # noqa: S105 -- a path segment, not a secret


@require_http_methods(["GET", "POST"])
def password_reset_confirm_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of the reset e-mail. As in Django's own view, the token moves from the address
    into the session at once, so it does not leak through the Referer header of the next page."""
    if token != _RESET_URL_TOKEN:
        request.session[_RESET_SESSION_KEY] = token
        return HttpResponseRedirect(reverse("web:password-reset-confirm", args=[uidb64, _RESET_URL_TOKEN]))
    session_token = str(request.session.get(_RESET_SESSION_KEY, ""))
    if services.password_reset_person(uidb64=uidb64, token=session_token) is None:
        return render(
            request,
            "web/account/link_invalid.html",
            {
                "error": _(
                    "This link is not valid: it was used already, or it expired (after an hour). "
                    "Ask for a new one."
                ),
                "again": "/password/reset/",
            },
            status=400,
        )
    if request.method == "POST":
        try:
            services.password_reset_complete(
                uidb64=uidb64,
                token=session_token,
                new_password=request.POST.get("new_password", ""),
                new_password_again=request.POST.get("new_password_again", ""),
            )
        except PasswordInvalidError as exc:
            return _password_page(
                request, "web/account/password_reset_confirm.html", exc.details.get("errors", {}), status=400
            )
        request.session.pop(_RESET_SESSION_KEY, None)
        messages.success(
            request, _("Nova lozinka je postavljena: prijavite se. / Your new password is set: log in.")
        )
        return HttpResponseRedirect("/login/")
    return _password_page(request, "web/account/password_reset_confirm.html", {})


@require_POST
def script_view(request: HttpRequest) -> HttpResponse:
    """Switch the script of the pages and of the documents the person receives."""
    script = request.POST.get("script", "")
    if script in Script.values:
        request.session[SCRIPT_SESSION_KEY] = script
        if isinstance(request.user, Person) and request.user.preferred_script != script:
            services.person_script_set(person=request.user, script=script, actor=request.user)
    return HttpResponseRedirect(_next(request))
