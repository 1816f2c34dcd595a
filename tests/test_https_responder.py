"""The port-80 responder, as a real server on loopback ports: challenges served, the rest redirected."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

import pytest
import requests

from tljh_lite.https.responder import https_location, make_handler


@pytest.mark.parametrize(
    "host, path, port, expected",
    [
        ("hub.uni.example", "/hub/login?next=%2F", 443, "https://hub.uni.example/hub/login?next=%2F"),
        ("hub.uni.example:80", "/", 8443, "https://hub.uni.example:8443/"),
        ("[2001:db8::1]:80", "/x", 443, "https://[2001:db8::1]/x"),
        (None, "/", 443, None),
        ("evil.example/@x", "/", 443, None),
    ],
)
def test_redirect_target(host, path, port, expected):
    assert https_location(host, path, port) == expected


@pytest.fixture
def webroot(tmp_path):
    challenges = tmp_path / ".well-known" / "acme-challenge"
    challenges.mkdir(parents=True)
    (challenges / "tok_EN-1").write_text("tok_EN-1.thumbprint")
    (tmp_path / "secret.txt").write_text("not for the web")
    return tmp_path


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_public_listener_answers_challenges_and_redirects_the_rest(webroot):
    server, url = serve(make_handler(webroot, 443))
    try:
        answer = requests.get(f"{url}/.well-known/acme-challenge/tok_EN-1", timeout=5)
        assert answer.status_code == 200 and answer.text == "tok_EN-1.thumbprint"
        assert requests.get(f"{url}/.well-known/acme-challenge/missing", timeout=5).status_code == 404
        assert requests.get(f"{url}/.well-known/acme-challenge/..%2F..%2Fsecret.txt", timeout=5).status_code == 404
        moved = requests.get(f"{url}/hub/home", headers={"Host": "hub.uni.example"}, allow_redirects=False, timeout=5)
        assert moved.status_code == 301 and moved.headers["Location"] == "https://hub.uni.example/hub/home"
    finally:
        server.shutdown()


def test_loopback_listener_answers_challenges_only(webroot):
    server, url = serve(make_handler(webroot, None))
    try:
        assert requests.get(f"{url}/.well-known/acme-challenge/tok_EN-1", timeout=5).status_code == 200
        assert requests.get(f"{url}/hub/home", allow_redirects=False, timeout=5).status_code == 404
    finally:
        server.shutdown()
