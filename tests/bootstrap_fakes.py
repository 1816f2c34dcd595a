"""What the test modules of installer/bootstrap.py share: the script loaded as a
module, machines that answer preflight with fakes, a runner that records the
steps instead of running them, and a plan made from a command line.

Not a test module (pytest collects nothing here), so test modules import it
instead of importing each other.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

SCRIPT = Path(__file__).resolve().parent.parent / "installer" / "bootstrap.py"


def load_bootstrap():
    spec = importlib.util.spec_from_file_location("tljh_lite_bootstrap", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = load_bootstrap()  # one module for every test, so a monkeypatch in one test is seen by the code it calls

OS_RELEASES = {
    "debian-11": 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\nVERSION_ID="11"\nID=debian\n',
    "debian-12": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
    'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n',
    "debian-13": 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nID=debian\n',
    "debian-sid": 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n',
    "ubuntu-20.04": 'NAME="Ubuntu"\nVERSION="20.04.6 LTS (Focal Fossa)"\nID=ubuntu\nID_LIKE=debian\n'
    'PRETTY_NAME="Ubuntu 20.04.6 LTS"\nVERSION_ID="20.04"\n',
    "ubuntu-22.04": 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n',
    "ubuntu-24.04": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n',
    "mint-21.3": 'NAME="Linux Mint"\nVERSION="21.3 (Virginia)"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
    'PRETTY_NAME="Linux Mint 21.3"\nVERSION_ID="21.3"\n',
}

MEMINFO = "MemTotal:        {kib} kB\nMemFree:          123456 kB\nMemAvailable:    234567 kB\n"


class FakeMachine(bootstrap.Machine):
    """A supported machine, except for whatever a test changes."""

    def __init__(self, **overrides):
        self.values = {
            "euid": 0,
            "python_version": (3, 11, 2),
            "os_release": OS_RELEASES["debian-12"],
            "/proc/1/comm": "systemd\n",
            "/proc/meminfo": MEMINFO.format(kib=4 * 1024 * 1024),
            "free_bytes": 50 * 1024**3,
            "can_bind": True,
            "units": set(),
            "holder": None,
            "existing": {"/", "/opt", "/run/systemd/system", "/var/tmp"},
            "architecture": "amd64",
            "installed": {},  # what the hub environment holds: {"tljh-lite": "0.3.0", "JupyterHub": "6.1.1"}
        }
        self.values.update(overrides)
        self.asked = []

    def euid(self):
        return self.values["euid"]

    def python_version(self):
        return self.values["python_version"]

    def os_release(self):
        return self.values["os_release"]

    def read(self, path):
        return self.values.get(path)

    def exists(self, path):
        return path in self.values["existing"]

    def free_bytes(self, path):
        self.asked.append(("free_bytes", path))
        return self.values["free_bytes"]

    def can_bind(self, port):
        return self.values["can_bind"]

    def port_answers(self, port, timeout=3.0):
        return self.values["can_bind"]

    def unit_active(self, unit):
        return unit in self.values["units"]

    def port_holder(self, port):
        return self.values["holder"]

    def architecture(self):
        return self.values["architecture"]

    def installed_versions(self, prefix):
        return self.values["installed"]


class RecordingRunner:
    """Records commands instead of running them; `fail` names probes that fail."""

    def __init__(self, fail=(), installer_code=0):
        self.calls = []
        self.fail = set(fail)
        self.installer_code = installer_code
        self.log = SimpleNamespace(write_line=lambda text: None, path="/prefix/installer.log")

    def run(self, cmd, timeout, check=True, extra_env=None):
        self.calls.append(("run", cmd, extra_env))
        return 1 if " ".join(cmd) in self.fail else 0

    def write_file(self, path, text):
        self.calls.append(("write_file", path, text))

    def hand_over(self, cmd, stdin_text, env):
        self.calls.append(("hand_over", cmd, stdin_text, env))
        return self.installer_code


def make_plan(argv, prefix="/prefix", checkout=False):
    args = bootstrap.parse_args(argv, {})
    layout = bootstrap.Layout(prefix)
    return bootstrap.Plan(args, layout, "debian:12", "tljh-lite[hub]", checkout)
