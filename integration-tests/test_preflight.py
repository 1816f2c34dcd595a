"""Bootstrap's preflight on machines it must refuse: one line, exit 1, nothing changed."""

from __future__ import annotations

from installed import bootstrap_command, copy_checkout

SNAPSHOT = "ls -d /opt/tljh /etc/systemd/system/jupyterhub.service /etc/sudoers.d/jupyterhub-admins 2>/dev/null; dpkg -l | wc -l; getent group jupyterhub-users"


def refused(container) -> tuple[str, str]:
    copy_checkout(container)
    before = container.exec(SNAPSHOT, check=False).stdout
    result = container.exec(bootstrap_command("--admin", "prof:a-long-password"), check=False)
    assert result.exit_code == 1, result
    assert "Traceback" not in result.stderr + result.stdout
    after = container.exec(SNAPSHOT, check=False).stdout
    assert after == before, "preflight changed the machine"
    return result.stdout, result.stderr


def test_no_systemd_is_refused_with_one_line(containers, image):
    container = containers.start(image, systemd=False)
    _out, err = refused(container)
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "systemd" in lines[0], err


def test_an_unsupported_release_is_refused_with_one_line(containers, image):
    container = containers.start(image)
    container.wait_for_systemd()
    container.exec("rm /etc/os-release")
    container.write_file(
        "/etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_ID="11"\n'
    )
    _out, err = refused(container)
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Debian GNU/Linux 11 (bullseye) is not supported" in lines[0], err
