"""Log in (password, then the second factor; the step-up before signing), log out, citizen
sign-up (confirmed by e-mail), password change and reset, and the choice of script (Latin,
Cyrillic, English)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govdoc.accounts import identity, second_factor, services, sessions, throttle, totp
from govdoc.accounts.constants import Script
from govdoc.accounts.errors import (
    AccountLinkInvalidError,
    InvalidCredentialsError,
    LoginThrottledError,
    PasswordInvalidError,
    RegistrationInvalidError,
    SecondFactorInvalidError,
)
from govdoc.accounts.models import Person
from govdoc.core import clock
from govdoc.web.language import SESSION_KEY, script_of
from govdoc.web.ratelimit import rate_limited


def _next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The first factor (username and password) of the one log-in of GovDoc, administrators'
    site included. Officials then pass the second factor (enrolling it the first time)."""
    context: dict[str, object] = {"next": _next(request), "username": "", "demo": settings.GOVDOC_DEMO}
    if request.method == "POST":
        username = request.POST.get("username", "")
        context["username"] = username
        try:
            person = identity.authenticate(
                request, username=username, password=request.POST.get("password", "")
            )
        except LoginThrottledError as exc:
            return _throttled(request, "web/account/login.html", context, exc)
        except InvalidCredentialsError as exc:
            context["error"] = exc.message
            return render(request, "web/account/login.html", context, status=400)
        if not second_factor.required_for(person):
            return _complete(request, person, factors=["password"], target=_next(request))
        request.session.cycle_key()
        request.session[PENDING_KEY] = {
            "person": str(person.pk),
            "at": clock.now().timestamp(),
            "next": _next(request),
        }
        if second_factor.confirmed_factor(person) is None:
            return HttpResponseRedirect(reverse("web:login-enrol"))
        return HttpResponseRedirect(reverse("web:login-code"))
    return render(request, "web/account/login.html", context)


PENDING_KEY = "govdoc_pending_login"
PENDING_SECONDS = 300


def _throttled(
    request: HttpRequest, template: str, context: dict[str, object], exc: LoginThrottledError
) -> HttpResponse:
    context["error"] = exc.message
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _pending(request: HttpRequest) -> Person | None:
    """The person who passed the password step in this browser in the last five minutes."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not pending.get("person"):
        return None
    if clock.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return Person.objects.filter(pk=str(pending.get("person", "")), is_active=True).first()


def _complete(request: HttpRequest, person: Person, *, factors: list[str], target: str) -> HttpResponse:
    identity.login_succeeded(request, person=person, factors=factors)
    sessions.session_start(request, person, factors=factors)
    request.session[SESSION_KEY] = person.preferred_script
    response = HttpResponseRedirect(target)
    _remember_device(response, person)
    return response


def _remember_device(response: HttpResponse, person: Person) -> None:
    """This browser logged in to this account: the per-account throttle no longer slows it."""
    response.set_cookie(
        throttle.DEVICE_COOKIE,
        throttle.device_cookie_value(username=person.username),
        max_age=180 * 24 * 3600,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def _demo_hint(person: Person) -> str:
    """In the demo installation, a demo official's published authenticator secret."""
    if settings.GOVDOC_DEMO and second_factor.is_demo_secret(person):
        return second_factor.demo_secret(person.username)
    return ""


@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    """The second factor: the 6-digit code from the authenticator app, or a recovery code."""
    person = _pending(request)
    if person is None:
        return HttpResponseRedirect(reverse("web:login"))
    context: dict[str, object] = {
        "demo_secret": _demo_hint(person),
        "demo_command": f"govdoc demo-totp {person.username}",
        "username": person.username,
    }
    if request.method == "POST":
        try:
            factor = identity.second_factor_verify(request, person=person, code=request.POST.get("code", ""))
        except LoginThrottledError as exc:
            return _throttled(request, "web/account/login_code.html", context, exc)
        except SecondFactorInvalidError as exc:
            context["error"] = exc.message
            return render(request, "web/account/login_code.html", context, status=400)
        target = str(request.session.get(PENDING_KEY, {}).get("next") or "/")
        request.session.pop(PENDING_KEY, None)
        return _complete(request, person, factors=["password", factor], target=target)
    return render(request, "web/account/login_code.html", context)


@require_http_methods(["GET", "POST"])
def login_enrol_view(request: HttpRequest) -> HttpResponse:
    """First log-in of an official: add GovDoc to an authenticator app, confirm with a code,
    save the recovery codes (shown once)."""
    person = _pending(request)
    if person is None:
        return HttpResponseRedirect(reverse("web:login"))
    if second_factor.confirmed_factor(person) is not None:
        return HttpResponseRedirect(reverse("web:login-code"))
    _factor, secret = second_factor.enrolment_start(person=person)
    uri = totp.provisioning_uri(secret, account=person.username, issuer=second_factor.ISSUER)
    context: dict[str, object] = {
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": uri,
        "qr_svg": mark_safe(segno.make(uri, error="m").svg_inline(scale=4, omitsize=False)),  # noqa: S308 -- segno's own SVG
    }
    if request.method == "POST":
        try:
            codes = identity.enrolment_confirm(request, person=person, code=request.POST.get("code", ""))
        except LoginThrottledError as exc:
            return _throttled(request, "web/account/login_enrol.html", context, exc)
        except SecondFactorInvalidError as exc:
            context["error"] = exc.message
            return render(request, "web/account/login_enrol.html", context, status=400)
        target = str(request.session.get(PENDING_KEY, {}).get("next") or "/")
        request.session.pop(PENDING_KEY, None)
        response = _complete(request, person, factors=["password", "totp"], target=target)
        page = render(request, "web/account/recovery_codes.html", {"codes": codes, "next": target})
        for cookie in response.cookies.values():
            page.cookies[cookie.key] = cookie
        return page
    return render(request, "web/account/login_enrol.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def login_confirm_view(request: HttpRequest) -> HttpResponse:
    """Step-up: before signing, issuing or revoking, a log-in older than a few minutes is
    confirmed with the password (and the code, for officials), then the person goes on."""
    person = request.user
    assert isinstance(person, Person)
    needs_code = second_factor.confirmed_factor(person) is not None
    context: dict[str, object] = {
        "next": _next(request),
        "needs_code": needs_code,
        "demo_secret": _demo_hint(person) if needs_code else "",
    }
    if request.method == "POST":
        try:
            identity.authenticate(
                request, username=person.username, password=request.POST.get("password", "")
            )
            factors = ["password"]
            if needs_code:
                factors.append(
                    identity.second_factor_verify(request, person=person, code=request.POST.get("code", ""))
                )
        except LoginThrottledError as exc:
            return _throttled(request, "web/account/login_confirm.html", context, exc)
        except (InvalidCredentialsError, SecondFactorInvalidError) as exc:
            context["error"] = exc.message
            return render(request, "web/account/login_confirm.html", context, status=400)
        identity.login_succeeded(request, person=person, factors=factors, step_up=True)
        sessions.reauthenticated(request)
        messages.success(request, _("Thank you. Please repeat the action."))
        return HttpResponseRedirect(_next(request))
    return render(request, "web/account/login_confirm.html", context)


@require_GET
def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """The administrators' site logs in through GovDoc's own log-in (throttle, second factor,
    audit): /admin/login/ only sends the person there."""
    target = request.GET.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/admin/"
    return HttpResponseRedirect(f"{reverse('web:login')}?{urlencode({'next': target})}")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect("/")


@require_http_methods(["GET", "POST"])
@rate_limited("signup", setting="GOVDOC_RATE_SIGNUP", methods=("POST",))
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
                request, "web/account/signup.html", {"values": values, "errors": errors}, status=400
            )
        return render(request, "web/account/signup_sent.html", {"email": values["email"].strip()})
    values["preferred_script"] = str(script_of(request))  # the language of the page, to start with
    return render(request, "web/account/signup.html", {"values": values, "errors": {}})


@require_http_methods(["GET", "POST"])
def signup_confirm_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of the confirmation e-mail. Opening it (GET) changes nothing, so a mail
    scanner that follows links does not use it up; the button confirms."""
    if request.method == "POST":
        try:
            services.signup_confirm(uidb64=uidb64, token=token)
        except AccountLinkInvalidError as exc:
            return render(request, "web/account/link_invalid.html", {"error": exc.message}, status=400)
        messages.success(request, _("Your account is confirmed: log in."))
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
        messages.success(request, _("Your password is changed."))
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
        messages.success(request, _("Your new password is set: log in."))
        return HttpResponseRedirect("/login/")
    return _password_page(request, "web/account/password_reset_confirm.html", {})


@require_POST
def script_view(request: HttpRequest) -> HttpResponse:
    """Switch the script of the pages and of the documents the person receives."""
    script = request.POST.get("script", "")
    if script in Script.values:
        request.session[SESSION_KEY] = script
        if isinstance(request.user, Person) and request.user.preferred_script != script:
            services.person_script_set(person=request.user, script=script, actor=request.user)
    return HttpResponseRedirect(_without_lang(_next(request)))


def _without_lang(target: str) -> str:
    """The page to go back to, without a ``lang`` in its address (it would undo the choice)."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return urlunsplit(parts._replace(query=urlencode(query)))
