"""Log in, log out, citizen sign-up and the choice of script (Latin, Cyrillic, English)."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from govdoc.accounts import identity, services
from govdoc.accounts.constants import Script
from govdoc.accounts.errors import AccountLockedError, InvalidCredentialsError, RegistrationInvalidError
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
    fields = ["username", "first_name", "last_name", "email", "national_id", "preferred_script"]
    values = {name: request.POST.get(name, "") for name in fields}
    if request.method == "POST":
        try:
            person = services.citizen_register(
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
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SCRIPT_SESSION_KEY] = person.preferred_script
        return HttpResponseRedirect("/")
    values["preferred_script"] = request.session.get(SCRIPT_SESSION_KEY, Script.LATIN)
    return render(
        request, "web/account/signup.html", {"values": values, "errors": {}, "scripts": Script.choices}
    )


@require_POST
def script_view(request: HttpRequest) -> HttpResponse:
    """Switch the script of the pages and of the documents the person receives."""
    script = request.POST.get("script", "")
    if script in Script.values:
        request.session[SCRIPT_SESSION_KEY] = script
        if isinstance(request.user, Person) and request.user.preferred_script != script:
            services.person_script_set(person=request.user, script=script, actor=request.user)
    return HttpResponseRedirect(_next(request))
