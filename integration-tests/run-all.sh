#!/usr/bin/env bash
# Runs every test of tljh-lite: the unit tests, then the integration tests in
# systemd containers. Made for a fresh Debian 12 machine, as root: it installs
# what it needs (docker.io, debootstrap, python3-venv, chromium for the
# browser test, the Python test dependencies in .venv-test/) and the harness
# starts dockerd itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source integration-tests/host-setup.sh

main() {
    require_root
    install_system_packages docker.io debootstrap python3-venv git chromium libnss3-tools pebble sudo
    install_python_test_dependencies
    step "unit tests"
    .venv-test/bin/python -m pytest tests
    step "integration tests (each Debian release in its own session, side by side)"
    .venv-test/bin/python integration-tests/run_releases.py --durations=15
}

main "$@"
