#!/usr/bin/env bash
# Try tljh-lite without a VM: builds a local Debian systemd container, installs
# the hub in it with bootstrap, and prints the URL and the admin's login.
set -euo pipefail
cd "$(dirname "$0")/.."
source integration-tests/host-setup.sh
require_root
install_system_packages docker.io debootstrap python3-venv git
install_python_test_dependencies
.venv-test/bin/python integration-tests/try_it.py "$@"
