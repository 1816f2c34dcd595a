# Sourced by run-all.sh and try-it.sh: what a fresh Debian 12 host needs to
# run the systemd containers and the Python test tools.

step() { printf '\n==> %s\n' "$*"; }

require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "error: this needs root (it installs packages and runs containers); run it as root: su -c 'bash $0' (or, with sudo: sudo bash $0)" >&2
        exit 1
    fi
}

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
