"""`tljh-lite export users` (once `import-users`): the plan (pure), then the command against a fake JupyterHub REST API on
127.0.0.1: creates users, admins and groups, changes nothing the second time, completes a run that
stopped half-way, and refuses an unreachable hub or a bad token in one line with nothing changed."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tljh_lite.cli.tljh_lite import main as lite_main
from tljh_lite.scaleout.hubapi import api_url, plan
from tljh_lite.scaleout.roster import FORMAT

TOKEN = "admin-token"
DOC = {
    "format": FORMAT,
    "users": [{"name": "alice", "admin": False, "groups": ["tas"], "firstuse_bcrypt": "$2b$12$x"},
              {"name": "bob", "admin": False, "groups": [], "firstuse_bcrypt": None},
              {"name": "prof", "admin": True, "groups": [], "firstuse_bcrypt": None},
              {"name": "tina", "admin": True, "groups": ["tas"], "firstuse_bcrypt": None}],
    "groups": {"tas": ["alice", "tina"], "empty": []},
}


def test_the_plan_makes_only_the_difference():
    changes = plan(DOC, {"prof": True, "tina": False, "carol": False}, {"tas": ["alice"]})
    assert changes.create == ["alice", "bob"] and changes.create_admins == []
    assert changes.make_admin == ["tina"]
    assert changes.create_groups == {"empty": []}
    assert changes.add_members == {"tas": ["tina"]}


def test_the_plan_on_a_hub_that_has_it_all_is_empty():
    done = plan(DOC, {"alice": False, "bob": True, "prof": True, "tina": True}, {"tas": ["Alice", "tina"], "empty": []})
    assert done.changes == 0 and "nothing to change" in done.summary()


def test_an_admin_is_never_demoted_and_no_member_removed():
    changes = plan({"users": [{"name": "bob", "admin": False}], "groups": {"tas": []}}, {"bob": True}, {"tas": ["x"]})
    assert changes.changes == 0


@pytest.mark.parametrize("url, api", [("https://hub.example.org", "https://hub.example.org/hub/api"),
                                      ("https://hub.example.org/hub/", "https://hub.example.org/hub/api"),
                                      ("http://10.0.0.5:8000/hub/api/", "http://10.0.0.5:8000/hub/api")])
def test_the_api_root_from_the_hubs_address(url, api):
    assert api_url(url) == api


class FakeHub:
    """JupyterHub's REST API, the parts import-users uses, with users and groups in memory."""

    def __init__(self, scopes=("admin:users", "admin:groups", "groups"), fail_after: int | None = None):
        self.users = {"prof": {"admin": True}}
        self.groups: dict[str, list[str]] = {}
        self.scopes, self.fail_after, self.changes = list(scopes), fail_after, []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, code, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self, method):
                url = urlparse(self.path)
                path = unquote(url.path).removeprefix("/hub/api")
                if self.headers.get("Authorization") != f"token {TOKEN}":
                    return self.reply(403, {"message": "Forbidden"})
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else {}
                if method != "GET":
                    if hub.fail_after is not None and len(hub.changes) >= hub.fail_after:
                        return self.reply(500, {"message": "hub went away"})
                    hub.changes.append((method, path))
                self.reply(*hub.route(method, path, body, parse_qs(url.query)))

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

            def do_PATCH(self):
                self.handle_any("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def route(self, method, path, body, query):
        offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["200"])[0])
        if (method, path) == ("GET", "/"):
            return 200, {"version": "5.5.0"}
        if (method, path) == ("GET", "/user"):
            return 200, {"name": "prof", "admin": True, "scopes": self.scopes}
        if (method, path) == ("GET", "/users"):
            users = [{"name": n, "admin": u["admin"]} for n, u in sorted(self.users.items())]
            return 200, users[offset:offset + limit]
        if (method, path) == ("GET", "/groups"):
            return 200, [{"name": n, "users": m} for n, m in sorted(self.groups.items())][offset:offset + limit]
        if (method, path) == ("POST", "/users"):
            for name in body["usernames"]:
                self.users[name] = {"admin": body.get("admin", False)}
            return 201, []
        if method == "PATCH" and path.startswith("/users/"):
            self.users[path.split("/")[2]].update(body)
            return 200, {}
        if method == "POST" and path.startswith("/groups/"):
            parts = path.split("/")
            if len(parts) == 3:
                self.groups[parts[2]] = list(body.get("users", []))
            else:
                self.groups[parts[2]] += body["users"]
            return 201, {}
        return 404, {"message": "not found"}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_hub():
    hub = FakeHub()
    yield hub
    hub.close()


@pytest.fixture
def users_json(tmp_path) -> Path:
    path = tmp_path / "users.json"
    path.write_text(json.dumps(DOC))
    return path


def run(users_json, url, *args, token=TOKEN, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)
    return lite_main(["export", "users", str(users_json), "--hub-url", url, *args])


def test_the_old_name_import_users_still_works_and_says_the_new_one(fake_hub, users_json, monkeypatch, capsys):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKEN)
    assert lite_main(["import-users", str(users_json), "--hub-url", fake_hub.url]) == 0
    assert "prof" in fake_hub.users
    assert "`tljh-lite import-users` is now `tljh-lite export users`" in capsys.readouterr().err


def test_the_old_name_is_not_listed_in_help(capsys):
    with pytest.raises(SystemExit):
        lite_main(["--help"])
    out = capsys.readouterr().out
    assert "import-users" not in out and "export" in out


def test_import_creates_users_admins_and_groups_and_a_rerun_changes_nothing(fake_hub, users_json, monkeypatch, capsys):
    assert run(users_json, fake_hub.url, monkeypatch=monkeypatch) == 0
    assert fake_hub.users == {"prof": {"admin": True}, "alice": {"admin": False}, "bob": {"admin": False},
                              "tina": {"admin": True}}
    assert fake_hub.groups == {"tas": ["alice", "tina"], "empty": []}
    out = capsys.readouterr().out
    assert "JupyterHub 5.5.0" in out and "1 FirstUse passwords" in out
    changes = len(fake_hub.changes)
    assert run(users_json, fake_hub.url, monkeypatch=monkeypatch) == 0
    assert len(fake_hub.changes) == changes
    assert "nothing to change" in capsys.readouterr().out


def test_a_run_that_stopped_half_way_is_completed_by_the_next(users_json, monkeypatch, capsys):
    hub = FakeHub(fail_after=1)
    try:
        assert run(users_json, hub.url, monkeypatch=monkeypatch) == 1
        err = capsys.readouterr().err.strip()
        assert "stopped part-way" in err and "run the same command again" in err and len(err.splitlines()) == 1
        assert "alice" in hub.users and "tas" not in hub.groups
        hub.fail_after = None
        assert run(users_json, hub.url, monkeypatch=monkeypatch) == 0
        assert hub.groups["tas"] == ["alice", "tina"] and hub.users["tina"] == {"admin": True}
    finally:
        hub.close()


def test_a_bad_token_is_one_line_and_nothing_changes(fake_hub, users_json, monkeypatch, capsys):
    assert run(users_json, fake_hub.url, token="wrong", monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err.strip()
    assert "refused the token" in err and len(err.splitlines()) == 1
    assert fake_hub.changes == []


def test_a_token_without_the_scopes_is_one_line_and_nothing_changes(users_json, monkeypatch, capsys):
    hub = FakeHub(scopes=["read:users"])
    try:
        assert run(users_json, hub.url, monkeypatch=monkeypatch) == 1
        err = capsys.readouterr().err.strip()
        assert "lacks the scopes admin:users, admin:groups" in err and len(err.splitlines()) == 1
        assert hub.changes == []
    finally:
        hub.close()


def test_an_unreachable_hub_is_one_line(users_json, monkeypatch, capsys):
    hub = FakeHub()
    url = hub.url
    hub.close()  # nothing listens there any more
    assert run(users_json, url, monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("tljh-lite: error: cannot reach the hub at") and len(err.splitlines()) == 1


def test_the_token_from_a_file_and_a_warning_for_the_command_line(fake_hub, users_json, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert run(users_json, fake_hub.url, "--token-file", str(token_file), "--dry-run") == 0
    assert "dry run" in capsys.readouterr().out and fake_hub.changes == []
    assert run(users_json, fake_hub.url, "--token", TOKEN, "--dry-run") == 0
    assert "shows the token in ps" in capsys.readouterr().err
    assert run(users_json, fake_hub.url) == 1
    assert "no API token" in capsys.readouterr().err


def test_a_file_that_is_not_an_export_is_refused(tmp_path, fake_hub, monkeypatch, capsys):
    bad = tmp_path / "users.json"
    bad.write_text(json.dumps({"users": []}))
    assert run(bad, fake_hub.url, monkeypatch=monkeypatch) == 1
    assert "not a tljh-lite users file" in capsys.readouterr().err
    assert fake_hub.changes == []
