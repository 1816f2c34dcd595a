#!/usr/bin/env bash
# Runs every test of tljh-lite: the unit tests, then the integration tests in
# systemd containers. Made for a fresh Debian 12 machine, as root: it installs
# what it needs (docker.io, debootstrap, python3-venv, the Python test
# dependencies in .venv-test/) and the harness starts dockerd itself.
set -euo pipefail

main() {
    cd "$(dirname "$0")/.."
    if [ "$(id -u)" != 0 ]; then
        echo "error: the tests need root (they install packages and run containers); run: sudo bash $0" >&2
        exit 1
    fi
    install_system_packages docker.io debootstrap python3-venv
    install_python_test_dependencies
    step "unit tests"
    .venv-test/bin/python -m pytest tests
    step "integration tests"
    .venv-test/bin/python -m pytest integration-tests
}

step() { printf '\n==> %s\n' "$*"; }

install_system_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        step "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

install_python_test_dependencies() {
    step "Python test dependencies in .venv-test/"
    [ -x .venv-test/bin/python ] || python3 -m venv .venv-test
    .venv-test/bin/python -m pip install -q --upgrade pip
    .venv-test/bin/python -m pip install -q -e '.[test]'
}

main "$@"
