#!/usr/bin/env bash
# The two set-up commands of the README, for a fresh machine:
#   bash deploy/dev.sh run    the backbone on the embedded default, with a simulated province
#   bash deploy/dev.sh test   lint, types and the whole test suite on a real broker and database
# Each creates .venv (if missing) and installs what it needs; nothing is installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "please install: $*" >&2; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

setup() {
  need java || apt_install openjdk-17-jre-headless
  # The broker's failed-login logger (deploy/kafka/authlog) is compiled at first start.
  need javac || apt_install openjdk-17-jdk-headless
  need mvn || apt_install maven
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
  # The browser tests drive Debian's Chromium; reports render PDFs with DejaVu fonts and the
  # tests read them back with poppler's pdftotext/pdftoppm.
  { need chromium && need chromedriver; } || apt_install chromium chromium-driver
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || apt_install fonts-dejavu-core
  need pdftotext || apt_install poppler-utils
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "Python 3.11 or newer is needed" >&2; exit 1; }
  if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
  stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
  if [ ! -e "$stamp" ]; then
    # pip's and the build backend's notices go to a log, shown only when the install fails.
    echo "Installing the Python packages into .venv (a minute or two the first time)..." >&2
    if ! { .venv/bin/python -m pip install -q --upgrade pip &&
           .venv/bin/python -m pip install -q -e '.[dev]'; } >.venv/install.log 2>&1; then
      cat .venv/install.log >&2
      echo "installing the Python packages failed (log: .venv/install.log)" >&2
      exit 1
    fi
    touch "$stamp"
  fi
}

# The Java example agency (clients/java): its Maven dependencies resolve into ~/.m2 on the
# first build (online); after that its test rebuilds it offline when a source changes.
java_client() {
  stamp=.venv/.maven-$(sha256sum clients/java/pom.xml | cut -c1-16)
  if [ ! -e "$stamp" ] || [ ! -e clients/java/target/example-agency.jar ]; then
    echo "Building the Java example agency (Maven fetches its libraries the first time)..." >&2
    if ! mvn -q -B -f clients/java/pom.xml package >.venv/maven.log 2>&1; then
      cat .venv/maven.log >&2
      echo "building clients/java failed (log: .venv/maven.log)" >&2
      exit 1
    fi
    touch "$stamp"
  fi
}

case "${1:-}" in
  run)
    setup
    shift
    exec .venv/bin/backbone run "$@"
    ;;
  test)
    setup
    java_client
    shift
    .venv/bin/ruff check .
    .venv/bin/mypy
    set +e
    .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
    code=$?
    set -e
    # pytest exits 5 when it collected no test: that is a failure here, never a pass.
    if [ "$code" = 5 ]; then echo "no tests were collected" >&2; exit 1; fi
    exit "$code"
    ;;
  *)
    echo "usage: bash deploy/dev.sh run|test [args]" >&2
    exit 2
    ;;
esac
