"""Template context shared by every page: the chosen script and the list to choose from."""

from __future__ import annotations

from django.http import HttpRequest

from govdoc.accounts.constants import Script


def script(request: HttpRequest) -> dict[str, object]:
    chosen = (
        request.session.get("govdoc_script", Script.LATIN) if hasattr(request, "session") else Script.LATIN
    )
    return {"script": chosen, "scripts": Script.choices}
