"""Secrets during an install, and the caller's umask, tested on the session's hub.

- The `hub` fixture is installed from a shell with `umask 027` (installed.py's
  bootstrap_command), so every test of it proves such an install works.
- An admin password given through a root-only file or the environment is on
  no process's command line while the install runs, and not in the log.
- A generated password is shown once on the terminal, never logged, and never
  lost: an install that fails before showing it stores none, and says so.
- Credentials inside URLs never reach the output or the install log.

Every test re-runs bootstrap on the session's hub (no new container) and puts
back what it changes.
"""

from __future__ import annotations

import re
import threading

from installed import ADMIN, ADMIN_PASSWORD, InstalledHub, bootstrap_command

LOG = "/opt/tljh/installer.log"
PASSWORD_FILE = "/root/admin-password"
SECRET = "s3cret-in-url"


def installer_log(hub: InstalledHub) -> str:
    return hub.container.read_file(LOG)


class CommandLineWatcher:
    """Reads every process's command line in the container, again and again, while an install runs."""

    def __init__(self, hub: InstalledHub):
        self.hub, self.seen, self.polls = hub, set(), 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> "CommandLineWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _poll(self) -> None:
        # No pattern is passed into the container: a grep for the password would put it on a command line.
        read_all = "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done 2>/dev/null; true"
        while not self._stop.is_set():
            self.seen.update(self.hub.sh(read_all, check=False, timeout=30).stdout.splitlines())
            self.polls += 1

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.seen)


def test_the_hub_was_installed_from_a_umask_027_shell_and_students_can_read_its_environments(hub):
    assert bootstrap_command().startswith("umask 027; ")
    for path in ("/opt/tljh", "/opt/tljh/hub", "/opt/tljh/user", "/opt/tljh/user/bin", "/opt/tljh/config/jupyterhub_config.d"):
        assert hub.sh(f"stat -c %a {path}").stdout.strip() == "755", path
    site = hub.sh("/opt/tljh/user/bin/python3 -c 'import jupyterlab, os; print(os.path.dirname(jupyterlab.__file__))'")
    assert hub.sh(f"stat -c %a {site.stdout.strip()}/__init__.py").stdout.strip() == "644"
    as_nobody = "sudo -u nobody /opt/tljh/user/bin/python3 -c 'import jupyterlab, ipykernel; print(\"ok\")'"
    assert hub.sh(as_nobody).stdout.strip() == "ok"
    # what is meant to be private still is: each is created with its own mode, not the umask's
    assert hub.sh("stat -c %a /opt/tljh/state /opt/tljh/config").stdout.split() == ["700", "700"]
    modes = hub.sh("stat -c %a /opt/tljh/state/passwords.dbm* /opt/tljh/state/user-env.json /opt/tljh/installer.log")
    assert set(modes.stdout.split()) == {"600"}


def test_a_password_file_others_can_read_is_refused_in_one_line_and_changes_nothing(hub):
    hub.container.write_file(PASSWORD_FILE, "readable-by-all-1\n", mode=0o644)
    result, _ = hub.bootstrap("--admin", ADMIN, "--admin-password-file", PASSWORD_FILE, check=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        f"error: --admin-password-file {PASSWORD_FILE} can be read or changed by other users (mode 0644); "
        f"make it private: chmod 600 {PASSWORD_FILE}\n"
    )
    assert hub.client().login(ADMIN, ADMIN_PASSWORD)


def test_a_password_from_a_file_or_the_environment_is_on_no_command_line_and_not_in_the_log(hub):
    new_password = "from-a-root-only-file:42"
    hub.container.write_file(PASSWORD_FILE, new_password + "\n", mode=0o600)
    try:
        with CommandLineWatcher(hub) as watcher:
            result, _ = hub.bootstrap("--admin", ADMIN, "--admin-password-file", PASSWORD_FILE)
        out = result.stdout + result.stderr
        assert "Installation successful" in out and f"Admin: {ADMIN}, with the password you gave" in out
        assert watcher.saw("tljh_lite.installer") and watcher.saw("--admin-password-file"), watcher.polls
        assert not watcher.saw(new_password)
        assert new_password not in out and new_password not in installer_log(hub)
        assert "warning:" not in result.stderr  # nothing on the command line to warn about
        assert hub.client().login(ADMIN, new_password)
        assert not hub.client().login(ADMIN, ADMIN_PASSWORD)
    finally:
        # Back to the session's password, through the environment (as cloud-init or a script would give it).
        hub.container.write_file(PASSWORD_FILE, ADMIN_PASSWORD, mode=0o600)
        command = bootstrap_command("--admin", ADMIN).replace(
            "sudo python3 -", "sudo --preserve-env=TLJH_ADMIN_PASSWORD python3 -"
        )
        with CommandLineWatcher(hub) as watcher:
            result = hub.sh(f'export TLJH_ADMIN_PASSWORD="$(cat {PASSWORD_FILE})"; {command}', timeout=900)
        hub.sh(f"rm -f {PASSWORD_FILE}")
    assert f"Admin: {ADMIN}, with the password you gave" in result.stdout
    assert watcher.saw("tljh_lite.installer") and not watcher.saw(ADMIN_PASSWORD)
    assert ADMIN_PASSWORD not in installer_log(hub)
    assert hub.client().login(ADMIN, ADMIN_PASSWORD)


def test_a_generated_password_is_shown_once_never_logged_and_never_lost_to_a_failed_install(hub):
    hub.container.write_file("/srv/broken-requirements.txt", "this-package-does-not-exist-tljh-lite==1.0\n")
    failed, _ = hub.bootstrap("--admin", "ta", "--user-requirements-txt-url", "file:///srv/broken-requirements.txt",
                              check=False)
    assert failed.exit_code == 1 and "Traceback" not in failed.stderr
    assert ("Admin ta: no password yet (the install stopped before setting it); run bootstrap again with "
            "--admin ta, and one is generated and shown when the install finishes.") in failed.stderr
    assert "password:" not in failed.stdout  # none shown, so none stored
    try:
        result, _ = hub.bootstrap("--admin", "ta")
        shown = re.search(r"^Admin: ta, password: (\S+)  \(shown only once: write it down\)$", result.stdout, re.M)
        assert shown, result.stdout
        password = shown.group(1)
        assert password not in installer_log(hub)
        assert "Admin: ta, with a generated password (shown on the terminal only)" in installer_log(hub)
        assert hub.client().login("ta", password)

        again, _ = hub.bootstrap("--admin", "ta")  # the upgrade the README describes: no password needed
        assert "Admin: ta (password unchanged)" in again.stdout and password not in again.stdout
        assert hub.client().login("ta", password)
    finally:
        hub.tljh_config("remove-item", "users.admin", "ta", check=False)
        hub.tljh_config("reload")


def test_credentials_in_urls_never_reach_the_output_or_the_log(hub):
    hub_pid = hub.unit_property("jupyterhub", "MainPID")
    urls = {
        "--plugin": f"https://course:{SECRET}@127.0.0.1:9/tljh_course-1.0-py3-none-any.whl",
        "--user-requirements-txt-url": f"https://course:{SECRET}@127.0.0.1:9/requirements.txt",
        "--source": f"https://{SECRET}@127.0.0.1:9/tljh_lite-0.1.0-py3-none-any.whl",  # replaces the checkout
    }
    for option, url in urls.items():
        result, _ = hub.bootstrap(option, url, check=False)
        out = result.stdout + result.stderr
        assert result.exit_code == 1 and "Traceback" not in out, out
        assert SECRET not in out, out
        assert "https://***@127.0.0.1:9/" in out, out
    log = installer_log(hub)
    assert SECRET not in log
    assert all(f"https://***@127.0.0.1:9/{url.rsplit('/', 1)[1]}" in log for url in urls.values())
    assert hub.unit_property("jupyterhub", "MainPID") == hub_pid  # each failed before touching the hub
    assert hub.client().api_version()
