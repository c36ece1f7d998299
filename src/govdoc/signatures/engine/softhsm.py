"""Provision a SoftHSM2 token for the development setup and the tests.

SoftHSM2 is a PKCS#11 module that keeps its tokens in files; it stands in for the agency HSM
so the PKCS#11 path (:mod:`govdoc.signatures.engine.pkcs11`) is exercised for real. Each
token directory gets its own ``softhsm2.conf``; the module finds it through the
``SOFTHSM2_CONF`` environment variable, which it reads once, at ``C_Initialize``. A process
must therefore set the variable *before* it first loads the module; one process then sees the
tokens of that one configuration, and only those that existed when it loaded the module.

Nothing here is for production: there the HSM vendor's module and its own tooling are used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from govdoc.signatures.engine.errors import KeyBackendError

#: Where Debian and Ubuntu (``softhsm2`` / ``libsofthsm2``), Fedora and Homebrew install the module.
MODULE_PATHS: tuple[str, ...] = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/lib/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)

_UTIL = "softhsm2-util"
_CONF_NAME = "softhsm2.conf"
# softhsm2-util --init-token takes a PIN of 4 to 255 characters and a label of at most 32.
_MIN_PIN, _MAX_PIN, _MAX_LABEL = 4, 255, 32


def find_module() -> str:
    """The path of ``libsofthsm2.so`` in the usual install locations.

    Raises KeyBackendError when SoftHSM2 is not installed.
    """
    for candidate in MODULE_PATHS:
        if Path(candidate).is_file():
            return candidate
    raise KeyBackendError(
        "the SoftHSM2 PKCS#11 module (libsofthsm2.so) is not installed; on Debian: apt-get install softhsm2",
        searched=list(MODULE_PATHS),
    )


def find_util() -> str:
    """The path of ``softhsm2-util``; raises KeyBackendError when it is not installed."""
    found = shutil.which(_UTIL)
    if found is None:
        raise KeyBackendError(
            "softhsm2-util is not installed; on Debian: apt-get install softhsm2", tool=_UTIL
        )
    return found


def is_available() -> bool:
    """True when both the SoftHSM2 module and ``softhsm2-util`` are installed."""
    try:
        find_module()
        find_util()
    except KeyBackendError:
        return False
    return True


def write_config(directory: Path) -> Path:
    """Write ``directory/softhsm2.conf`` keeping tokens in ``directory/tokens``; return its path."""
    token_dir = directory / "tokens"
    token_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = directory / _CONF_NAME
    conf.write_text(
        "# Written by govdoc.signatures.engine.softhsm\n"
        f"directories.tokendir = {token_dir.resolve()}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n"
        "slots.mechanisms = ALL\n"
        "library.reset_on_fork = false\n",
        encoding="utf-8",
    )
    return conf


def init_token(directory: Path, *, label: str, pin: str, so_pin: str) -> dict[str, str]:
    """Create a SoftHSM2 token labelled ``label`` in the first free slot of ``directory``.

    Writes ``directory/softhsm2.conf`` (kept if it exists, so several tokens can share one
    directory) and returns the environment a process needs to see the token:
    ``{"SOFTHSM2_CONF": ...}``. Set it in ``os.environ`` before the PKCS#11 module is loaded.

    The PINs go to ``softhsm2-util`` on its command line, where other local users can see
    them: acceptable for development and test tokens only.
    """
    if not label or len(label) > _MAX_LABEL:
        raise KeyBackendError(f"a token label needs 1 to {_MAX_LABEL} characters", label=label)
    for name, value in (("PIN", pin), ("SO PIN", so_pin)):
        if not _MIN_PIN <= len(value) <= _MAX_PIN:
            raise KeyBackendError(f"a token {name} needs {_MIN_PIN} to {_MAX_PIN} characters")
    util = find_util()
    conf = directory / _CONF_NAME
    if not conf.is_file():
        conf = write_config(directory)
    env = {"SOFTHSM2_CONF": str(conf.resolve())}
    result = subprocess.run(
        [util, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise KeyBackendError(
            f"softhsm2-util could not create token {label!r}: {detail}",
            label=label,
            directory=str(directory),
        )
    return env


@dataclass(frozen=True, slots=True)
class SoftHsmToken:
    """A SoftHSM2 token made by :meth:`create`: everything a :class:`Pkcs11Key` needs."""

    directory: Path
    label: str
    pin: str
    so_pin: str
    module_path: str
    env: dict[str, str]

    @property
    def config_path(self) -> Path:
        return Path(self.env["SOFTHSM2_CONF"])

    @classmethod
    def create(cls, directory: Path, *, label: str, pin: str, so_pin: str) -> SoftHsmToken:
        """Initialise a token with :func:`init_token` and locate the module."""
        module_path = find_module()
        env = init_token(directory, label=label, pin=pin, so_pin=so_pin)
        return cls(
            directory=directory,
            label=label,
            pin=pin,
            so_pin=so_pin,
            module_path=module_path,
            env=env,
        )


def _base_env() -> dict[str, str]:
    # The caller's environment (PATH, locale) without its SOFTHSM2_CONF, which is replaced.
    return {k: v for k, v in os.environ.items() if k != "SOFTHSM2_CONF"}
