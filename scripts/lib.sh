# Shared by scripts/demo and scripts/test: a virtualenv in .venv, installed once per
# change of pyproject.toml, and the Debian tools the signature tests use.
VENV="${GOVDOC_VENV:-$PWD/.venv}"

govdoc_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
  fi
}

govdoc_pip_install() {  # $1: pip target, $2: stamp name
  local stamp="$VENV/.govdoc-$2-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "== installing GovDoc ($1) into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$1"
    touch "$stamp"
  fi
}

# poppler-utils (pdfsig), qpdf, softhsm2 + opensc (PKCS#11 tests), libharfbuzz-subset0 (fast
# font subsetting), fonts-dejavu-core. Installed with apt-get when we are root; otherwise the
# tests that need them are skipped with a reason (CI sets GOVDOC_REQUIRE_TOOLS=1: then missing
# tools fail the run instead).
govdoc_system_tools() {
  local missing=()
  command -v pdfsig >/dev/null || missing+=(poppler-utils)
  command -v qpdf >/dev/null || missing+=(qpdf)
  command -v softhsm2-util >/dev/null || missing+=(softhsm2)
  command -v pkcs11-tool >/dev/null || missing+=(opensc)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      echo "== installing ${missing[*]}"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "note: ${missing[*]} not installed; the tests that need them will be skipped" >&2
    fi
  fi
}
