"""Moving a class to Zero to JupyterHub: export from a real hub with plugins, a roster and a group;
values checked against the chart's schema (vendored in tljh_lite/scaleout/chart); users, groups and passwords carried onto a
second tljh-lite hub through its REST API (the stand-in for the new hub: no Kubernetes here).

The source is the session's `plugin_hub`, the target the session's `hub`. Both get their
config.yaml back at the end, and the users and group created on `hub` are deleted again.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from containers import ExecResult, Network
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub

Z2JH = Path(__file__).resolve().parent.parent / "tljh_lite" / "scaleout" / "chart"  # the chart files, vendored once
OUT = "/root/z2jh-export"
TOKEN_FILE = "/root/new-hub-token"
STUDENTS = {"sx-ana": "ana-chose-this-1", "sx-ben": "ben-chose-this-2"}
GROUP, GROUP_MEMORY = "sx-lab", "700M"
TARGET_ALIAS = "newhub"


def config_of(hub: InstalledHub) -> str:
    return hub.sh("cat /opt/tljh/config/config.yaml").stdout


def api(hub: InstalledHub, token: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, hub.url + "hub/api" + path, headers={"Authorization": f"token {token}"},
                            timeout=30, **kwargs)


def new_token(hub: InstalledHub) -> str:
    """An admin's token, made through the REST API with her login (as on the new hub's /hub/token page)."""
    response = requests.post(hub.url + f"hub/api/users/{ADMIN}/tokens", timeout=30, json={
        "auth": {"username": ADMIN, "password": ADMIN_PASSWORD}, "note": "import-users test", "expires_in": 1800})
    response.raise_for_status()
    return response.json()["token"]


def import_users(source: InstalledHub, *args: str, check: bool = True) -> ExecResult:
    return source.container.exec(["tljh-lite", "export", "users", f"{OUT}/users.json", *args], check=check, timeout=120)


@pytest.fixture(scope="module")
def moved(plugin_hub: InstalledHub, hub: InstalledHub):
    source, target = plugin_hub, hub
    source_config, target_config = config_of(source), config_of(target)
    # The roster as a professor keeps it, without a reload (the export reads config.yaml, and
    # passwords take effect at once): so the source needs none when config.yaml is put back.
    for name, password in STUDENTS.items():
        source.tljh_config("add-item", "users.allowed", name)
        source.container.exec(["tljh-lite", "users", "reset-password", name], input=password + "\n")
    source.tljh_config("add-item", f"groups.{GROUP}.users", "sx-ana")
    source.tljh_config("set", f"groups.{GROUP}.limits.memory", GROUP_MEMORY)
    export = source.container.exec(["tljh-lite", "export", "z2jh", "--out", OUT], check=False, timeout=120)
    token = new_token(target)
    network = Network()
    try:
        network.connect(target.container, aliases=[TARGET_ALIAS])
        network.connect(source.container)
        source.container.write_file(TOKEN_FILE, token + "\n", mode=0o600)
        first = import_users(source, "--hub-url", f"http://{TARGET_ALIAS}/", "--token-file", TOKEN_FILE, check=False)
        yield {"source": source, "target": target, "export": export, "token": token, "import": first}
    finally:
        for name in STUDENTS:
            api(target, token, "DELETE", f"/users/{name}")
        api(target, token, "DELETE", f"/groups/{GROUP}")
        network.disconnect(source.container)
        network.disconnect(target.container)
        network.remove()
        api(target, token, "DELETE", f"/users/{ADMIN}/tokens/{token_id(target, token)}")
        source.container.write_file("/opt/tljh/config/config.yaml", source_config, mode=0o600)
        target.container.write_file("/opt/tljh/config/config.yaml", target_config, mode=0o600)
        target.tljh_config("reload", "hub")  # the students' login test reloaded it
        source.sh(f"rm -rf {OUT} {TOKEN_FILE}")
        target.sh("rm -f /root/users.json /root/firstuse_passwords.py")


def token_id(hub: InstalledHub, token: str) -> str:
    tokens = api(hub, token, "GET", f"/users/{ADMIN}/tokens").json()["api_tokens"]
    return next((t["id"] for t in tokens if t.get("note") == "import-users test"), "none")


def exported(moved, name: str) -> str:
    return moved["source"].container.read_file(f"{OUT}/{name}")


def test_the_export_succeeds_and_keeps_its_folder_private(moved):
    result = moved["export"]
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "passes the chart's schema" in result.stdout
    modes = moved["source"].sh(f"stat -c '%n %a' {OUT} {OUT}/users.json {OUT}/values.yaml").stdout.split("\n")
    assert modes[:2] == [f"{OUT} 700", f"{OUT}/users.json 600"]


def test_the_values_pass_the_charts_schema_and_carry_users_groups_limits_and_the_culler(moved):
    import jsonschema

    values = load_yaml(exported(moved, "values.yaml"))
    merged = merge(load_yaml((Z2JH / "values.yaml").read_text()), values)
    errors = list(jsonschema.Draft7Validator(load_yaml((Z2JH / "values.schema.yaml").read_text())).iter_errors(merged))
    assert errors == []
    config = values["hub"]["config"]
    assert set(STUDENTS) | {ADMIN} <= set(config["Authenticator"]["allowed_users"])
    assert ADMIN in config["Authenticator"]["admin_users"]
    assert config["JupyterHub"]["authenticator_class"] == "firstuseauthenticator.FirstUseAuthenticator"
    assert config["JupyterHub"]["load_groups"][GROUP] == {"users": ["sx-ana"]}
    overrides = config["Spawner"]["group_overrides"]
    assert {"groups": [GROUP], "spawner_override": {"mem_limit": GROUP_MEMORY}} in overrides.values()
    assert values["cull"] == {"enabled": True, "users": False, "adminUsers": True, "removeNamedServers": False,
                              "timeout": 3600, "every": 300, "concurrency": 5, "maxAge": 0}
    assert values["singleuser"]["defaultUrl"] == "/lab"


def test_migration_lists_the_plugins_hooks_that_do_not_carry_over(moved):
    text = exported(moved, "MIGRATION.md")
    assert "tljh_custom_jupyterhub_config" in text  # tljh-lite-test-plugin's
    assert "tljh_new_user_create" in text
    assert "NOT valid" not in text


def test_the_dockerfile_pins_exactly_what_the_students_environment_has(moved):
    source = moved["source"]
    pinned = dict(line.split("==") for line in exported(moved, "requirements.txt").splitlines())
    freeze = source.sh("/opt/tljh/user/bin/python -m pip freeze --all").stdout.splitlines()
    installed = {}
    for line in freeze:
        name, _, version = line.partition("==")
        if version:
            installed[name] = version
        else:  # "name @ url": installed from a folder; the pin carries its version
            installed[line.split(" @ ")[0]] = pinned.get(line.split(" @ ")[0])
    for skipped in ("pip", "setuptools", "wheel"):
        installed.pop(skipped, None)
    assert {canonical(k): v for k, v in pinned.items()} == {canonical(k): v for k, v in installed.items()}
    assert "pyjokes" in {canonical(k) for k in pinned}  # the test plugin's package for students
    python = source.sh("/opt/tljh/user/bin/python -c 'import sys; print(*sys.version_info[:2], sep=\".\")'").stdout.strip()
    assert f"FROM python:{python}-slim-" in exported(moved, "Dockerfile")


def test_homes_sh_archives_a_students_home_as_1000_100_under_her_volume_name(moved):
    source = moved["source"]
    # Her home as her first server would have made it: her own account's files.
    source.sh("install -d -m 700 -o nobody /home/jupyter-sx-ana && echo week1 > /home/jupyter-sx-ana/notes.txt"
              " && chown nobody /home/jupyter-sx-ana/notes.txt")
    try:
        result = source.sh(f"cd {OUT} && sh homes.sh /root/sx-homes").stdout
        assert "sx-ana: /home/jupyter-sx-ana -> /root/sx-homes/claim-sx-ana.tar.gz" in result
        assert "sx-ben: no home at /home/jupyter-sx-ben" in result
        listing = source.sh("tar --numeric-owner -tvzf /root/sx-homes/claim-sx-ana.tar.gz").stdout
        assert "./notes.txt" in listing
        assert {line.split()[1] for line in listing.splitlines()} == {"1000/100"}
        assert source.sh("stat -c %a /root/sx-homes").stdout.strip() == "700"
    finally:
        source.sh("rm -rf /home/jupyter-sx-ana /root/sx-homes")


def test_import_users_creates_the_users_admins_and_groups_on_the_new_hub(moved):
    result, target, token = moved["import"], moved["target"], moved["token"]
    assert result.exit_code == 0, result.stdout + result.stderr
    users = {u["name"]: u for u in api(target, token, "GET", "/users").json()}
    assert set(STUDENTS) <= set(users)
    assert users[ADMIN]["admin"] is True and users["sx-ana"]["admin"] is False
    group = api(target, token, "GET", f"/groups/{GROUP}").json()
    assert group["users"] == ["sx-ana"]


def test_a_second_import_changes_nothing(moved):
    again = import_users(moved["source"], "--hub-url", f"http://{TARGET_ALIAS}/", "--token-file", TOKEN_FILE)
    assert "nothing to change" in again.stdout


def test_a_bad_token_or_an_unreachable_hub_is_one_line_and_changes_nothing(moved):
    source = moved["source"]
    source.container.write_file("/root/bad-token", "not-a-token\n", mode=0o600)
    bad = import_users(source, "--hub-url", f"http://{TARGET_ALIAS}/", "--token-file", "/root/bad-token", check=False)
    assert bad.exit_code == 1 and "refused the token" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    nowhere = source.container.exec(["env", "JUPYTERHUB_API_TOKEN=x", "tljh-lite", "export", "users",
                                     f"{OUT}/users.json", "--hub-url", "http://127.0.0.1:9/"], check=False)
    assert nowhere.exit_code == 1 and "cannot reach the hub" in nowhere.stderr
    assert len(nowhere.stderr.strip().splitlines()) == 1
    source.sh("rm -f /root/bad-token")


def test_a_student_logs_in_on_the_new_hub_with_her_old_password(moved):
    """As on Kubernetes: firstuse_passwords.py, run by the new hub's Python, fills its FirstUse file."""
    target = moved["target"]
    target.container.write_file("/root/users.json", exported(moved, "users.json"), mode=0o600)
    target.container.write_file("/root/firstuse_passwords.py", exported(moved, "firstuse_passwords.py"))
    command = "/opt/tljh/hub/bin/python /root/firstuse_passwords.py /root/users.json /opt/tljh/state/passwords.dbm"
    first = target.sh(command).stdout
    assert re.search(r"\b[2-9]\d* passwords added, [1-9]\d* users already had one", first), first  # prof's kept
    assert "0 passwords added" in target.sh(command).stdout  # again: nothing changes
    # values.yaml's allowed_users, as this stand-in takes them: its config.yaml.
    for name in STUDENTS:
        target.tljh_config("add-item", "users.allowed", name)
    target.tljh_config("reload", "hub")
    assert target.client().login("sx-ana", STUDENTS["sx-ana"])
    assert not target.client().login("sx-ben", "not-her-password")
    assert target.client().login(ADMIN, ADMIN_PASSWORD)  # the new hub's admin kept her own


def load_yaml(text: str):
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
