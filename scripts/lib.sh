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

# poppler-utils (pdfsig, pdftotext, pdfdetach, pdftoppm), qpdf, softhsm2 + opensc (PKCS#11
# tests), zbar-tools (QR decoding), chromium (browser journeys), openssl (an independent check of
# federation envelopes' signatures), libharfbuzz-subset0 (fast font
# subsetting for WeasyPrint), fonts-dejavu-core. Installed with apt-get when we are root;
# otherwise the tests that need them are skipped with a reason (CI sets GOVDOC_REQUIRE_TOOLS=1:
# then missing tools fail the run instead).
_apt_install() {  # packages...
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing $*"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "note: $* not installed (run as root, or install them with your package manager)" >&2
  fi
}

# What GovDoc itself needs at run time to render documents (WeasyPrint): Pango, HarfBuzz's
# subsetter and the DejaVu fonts (Serbian Cyrillic and Latin).
govdoc_runtime_libs() {
  local missing=()
  ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || missing+=(libharfbuzz-subset0)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  [ ${#missing[@]} -eq 0 ] || _apt_install "${missing[@]}"
}

govdoc_system_tools() {
  govdoc_runtime_libs
  local missing=()
  command -v pdfsig >/dev/null || missing+=(poppler-utils)
  command -v qpdf >/dev/null || missing+=(qpdf)
  command -v softhsm2-util >/dev/null || missing+=(softhsm2)
  command -v pkcs11-tool >/dev/null || missing+=(opensc)
  command -v zbarimg >/dev/null || missing+=(zbar-tools)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v openssl >/dev/null || missing+=(openssl)
  [ ${#missing[@]} -eq 0 ] || _apt_install "${missing[@]}"
}

# The browser tests' accessibility check (axe-core, from npm; package.json + package-lock.json).
govdoc_node_tools() {
  command -v npm >/dev/null || _apt_install npm
  command -v npm >/dev/null || return 0
  local stamp="node_modules/.govdoc-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "== installing the browser tests' tools (npm ci)"
    npm ci --no-audit --no-fund --silent && touch "$stamp"
  fi
}
