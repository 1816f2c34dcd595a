"""A small LTI 1.3 platform (an LMS) for the tests, run in a container of its own over HTTPS.

It does what Moodle does for an external tool (its paths are Moodle's): a course
page's link starts a third-party initiated login by posting to the tool's login
initiation URL from the browser; the tool sends the browser to the
authentication request URL; the platform checks its own session, the client
id and the redirect URI, signs an id_token with its RSA key (RS256, its key id
in the header) and posts it with the state to the tool's redirect URI, from
the browser again. The tool fetches the platform's public keys from its keyset
URL. The hub never talks to anything else here.

    GET  /mod/lti/certs.php                 the public keyset (JWKS); fetches are counted
    GET  /mod/lti/launch.php?id=LINK&user=U a link clicked by U (signed in here: a session cookie)
    GET  /mod/lti/view.php?id=LINK&user=U   the course page that shows the tool in an iframe
    GET  /mod/lti/auth.php?...              the OpenID Connect authentication request
    PUT  /admin/tool                        the tool's registration, as an admin types it in
    GET  /admin/stats                       {"jwks_fetches": N}

People, courses and links come from a JSON file (--site). A link's launch can be
spoiled on purpose for the tests (`&mode=`): `forged` (signed with another key under
the same key id), `expired`, `wrong-aud` (for another tool), `wrong-iss` (another
platform's issuer).

Standard library, plus PyJWT and cryptography (Debian's python3-jwt, python3-cryptography).
"""

from __future__ import annotations

import argparse
import html
import json
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
KEY_ID = "stand-in-lms-1"
SESSION = "MoodleSession"
TOKEN_LIFETIME = 60  # seconds, as Moodle


class Platform:
    def __init__(self, site: dict, issuer: str):
        self.site, self.issuer = site, issuer
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # for mode=forged
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}
        self.tool: dict = {}
        self.sessions: dict[str, str] = {}  # session id -> user
        self.jwks_fetches = 0
        self.lock = threading.Lock()

    def login_form(self, link_id: str, user: str, mode: str) -> str:
        """What a link posts to the tool to start a launch (LTI 1.3 Security, 5.1.1.1)."""
        person, link = self.site["people"][user], self.site["links"][link_id]
        fields = {
            "iss": self.issuer,
            "login_hint": person["sub"],
            "target_link_uri": link.get("target_link_uri") or self.tool["target_link_uri"],
            "lti_message_hint": json.dumps({"link": link_id, "mode": mode}),
            "client_id": self.site["client_id"],
            "lti_deployment_id": self.site["deployment_id"],
        }
        return auto_post(self.tool["login_url"], fields)

    def authenticate(self, query: dict, user: str | None) -> tuple[int, str]:
        """The authentication request: checks, then the signed launch posted to the tool."""
        expected = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none"}
        for name, value in expected.items():
            if query.get(name) != value:
                return 400, f"invalid_request: {name} must be {value}"
        if query.get("client_id") != self.site["client_id"]:
            return 400, "unauthorized_client: unknown client_id"
        if query.get("redirect_uri") not in self.tool["redirect_uris"]:
            return 400, "invalid_request: redirect_uri is not registered for this tool"
        if user is None or self.site["people"][user]["sub"] != query.get("login_hint"):
            return 401, "login_required: not signed in to the LMS as login_hint"
        if not query.get("nonce") or not query.get("state"):
            return 400, "invalid_request: nonce and state are required"
        hint = json.loads(query.get("lti_message_hint") or "{}")
        token = self.id_token(user, hint.get("link"), query["nonce"], hint.get("mode") or "")
        return 200, auto_post(query["redirect_uri"], {"id_token": token, "state": query["state"]})

    def id_token(self, user: str, link_id: str, nonce: str, mode: str) -> str:
        person, link = self.site["people"][user], self.site["links"][link_id]
        course = self.site["courses"][link["course"]]
        now = int(time.time())
        claims = {
            "iss": self.issuer if mode != "wrong-iss" else "https://other-lms.test",
            "aud": self.site["client_id"] if mode != "wrong-aud" else "another-tool",
            "sub": person["sub"],
            "iat": now if mode != "expired" else now - 400,
            "exp": now + TOKEN_LIFETIME if mode != "expired" else now - 300,
            "nonce": nonce,
            "name": person["name"], "email": person["email"],
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.site["deployment_id"],
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "target_link_uri": link.get("target_link_uri") or self.tool["target_link_uri"],
            CLAIM + "resource_link": {"id": link_id, "title": link["title"]},
            CLAIM + "roles": course["roles"].get(user, []),
            CLAIM + "context": {"id": link["course"], "label": course["label"], "title": course["title"],
                                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"]},
            CLAIM + "custom": {**link.get("custom", {}), "username": person["login"]},
            CLAIM + "ext": {"user_username": person["login"], "lms": "moodle-2"},
            CLAIM + "tool_platform": {"product_family_code": "moodle", "name": "Stand-in LMS"},
        }
        key = self.forger if mode == "forged" else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})


def auto_post(action: str, fields: dict) -> str:
    """A page whose form posts itself, as LMSs (and tools) hand a browser from one site to the other."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items())
    return (f'<!doctype html><html><body><form id="autopost" method="post" action="{html.escape(action)}">{inputs}'
            '<noscript><button>Continue</button></noscript></form>'
            '<script>document.getElementById("autopost").submit()</script></body></html>')


def iframe_page(link_id: str, user: str, title: str) -> str:
    src = "/mod/lti/launch.php?" + urlencode({"id": link_id, "user": user})
    return (f'<!doctype html><html><head><title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>'
            f'<iframe id="contentframe" name="contentframe" src="{html.escape(src)}" width="1200" height="700" '
            'allow="clipboard-read; clipboard-write"></iframe></body></html>')


def make_handler(platform: Platform):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/mod/lti/certs.php":
                with platform.lock:
                    platform.jwks_fetches += 1
                return self.reply(200, json.dumps(platform.jwks), "application/json")
            if parts.path == "/admin/stats":
                return self.reply(200, json.dumps({"jwks_fetches": platform.jwks_fetches}), "application/json")
            if parts.path in ("/mod/lti/launch.php", "/mod/lti/view.php"):
                user, link = query.get("user"), query.get("id")
                if user not in platform.site["people"] or link not in platform.site["links"] or not platform.tool:
                    return self.reply(404, "no such link, person, or tool registration")
                session = self.session_of(user)
                page = (platform.login_form(link, user, query.get("mode", "")) if parts.path.endswith("launch.php")
                        else iframe_page(link, user, platform.site["links"][link]["title"]))
                return self.reply(200, page, cookie=session)
            if parts.path == "/mod/lti/auth.php":
                status, body = platform.authenticate(query, self.signed_in())
                return self.reply(status, body)
            if parts.path == "/":
                return self.reply(200, "stand-in LMS")
            return self.reply(404, "not found")

        def do_PUT(self):
            if urlsplit(self.path).path != "/admin/tool":
                return self.reply(404, "not found")
            platform.tool = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            return self.reply(204, "")

        def session_of(self, user: str) -> str:
            session = secrets.token_urlsafe(16)
            with platform.lock:
                platform.sessions[session] = user
            return session

        def signed_in(self) -> str | None:
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            return platform.sessions.get(cookie[SESSION].value) if SESSION in cookie else None

        def reply(self, status: int, body: str, content_type: str = "text/html; charset=utf-8",
                  cookie: str | None = None) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if cookie:
                # First-party for the LMS's own pages, which is all it needs (Moodle: SameSite=Lax).
                self.send_header("Set-Cookie", f"{SESSION}={cookie}; Path=/; Secure; HttpOnly; SameSite=Lax")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    with open(args.site) as f:
        platform = Platform(json.load(f), args.issuer)
    server = ThreadingHTTPServer(("0.0.0.0", args.port), make_handler(platform))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    # The handshake in each connection's own thread: a browser's idle preconnection must not hold up the rest.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.serve_forever()


if __name__ == "__main__":
    main()
