"""LTI13Authenticator as the hub runs it, for `auth.type: ltiauthenticator.lti13.auth.LTI13Authenticator`.

A subclass of jupyterhub-ltiauthenticator 1.6.3's class with the same name, so
every `auth.LTI13Authenticator.*` key and `c.LTI13Authenticator` snippet applies.
It keeps upstream's launch flow (login initiation, state and nonce cookies, the
checks of LTI's required claims) and changes what 1.6.3 gets wrong on a shared hub:

1. **Only a checked launch logs anyone in.** Upstream's `authenticate` reads the
   username from whatever dict it is given, and JupyterHub's own login form
   (POST /hub/login) gives it the form's fields: anyone could log in as anyone,
   an admin included, by posting `email=prof` (hub admins are root here). Here
   `authenticate` accepts only a `Launch` built by the launch handler below, and
   the login form's post is refused before it gets there.
2. **The LMS's keys are cached with a bound** (`tokens.LmsKeys`); upstream fetched
   them from the LMS for every launch, with the hub's event loop waiting.
3. **A launch is accepted once** (`replay.SeenNonces`); upstream's cookie check
   alone let whoever captured the post and its cookies replay it.
4. **Who she is** (`claims.read_launch`): roles the professor allows, Administrator
   only when she says so, a missing username claim refused (upstream falls back
   to `sub`, so two claims' names could collide), names made safe (`usernames`).
5. **Where she lands** (`landing`): what the signed launch or a plugin says, on this
   hub only; upstream followed the unsigned target of the login request.
6. **A launch inside the LMS's page** (`framecheck`) goes on there only if the browser
   lets the hub keep data in the frame; else one click opens it in a new tab.
7. **The tool's key set and configuration** (`toolkey`): registration forms ask for
   a key set URL; the configuration JSON asks the LMS for no services (upstream's
   asks Canvas for grade, roster and data-services scopes it never uses).

Every refusal is one line on the page she sees and in the hub's journal.

On JupyterHub 5 and 6, 1.6.3 also refuses every launch ("User ... not allowed",
403 "User missing or null"): it does not set `allow_all`, and JupyterHub 5 lets
nobody in by default. That part is config (`tljh_lite.hub.settings`).
integration-tests/test_lms.py checks, against the installed release, that upstream
still needs each of these, so we know when this class can shrink.

Hub side only: imports JupyterHub and ltiauthenticator.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from jupyterhub import orm
from jupyterhub.handlers import BaseHandler
from jupyterhub.handlers.login import LoginHandler
from jupyterhub.utils import url_path_join
from ltiauthenticator.lti13.auth import LTI13Authenticator as UpstreamLTI13Authenticator
from ltiauthenticator.lti13.error import ValidationError
from ltiauthenticator.lti13.handlers import LTI13CallbackHandler, LTI13LoginInitHandler
from ltiauthenticator.lti13.validator import LTI13LaunchValidator
from ltiauthenticator.utils import convert_request_to_dict
from tornado.web import HTTPError
from traitlets import Bool, List, Set, TraitError, Unicode, validate

from ...errors import TljhError
from ...plugins import installed_plugins
from .claims import DEFAULT_ALLOWED_ROLES, DEFAULT_USERNAME_KEY, Launch, LaunchRefused, Policy, read_launch
from .framecheck import frame_check_page, in_a_frame
from .landing import LaunchPlan, ask_plugins, launch_landing, redirect_for
from .registration import CONFIG_PATH, JWKS_PATH, LAUNCH_PATH, LOGIN_PATH, tool_urls
from .replay import SeenNonces
from .tokens import LmsKeys, check_id_token
from .toolkey import public_jwks, tool_key

COOKIES_BLOCKED = ("LTI launch refused: this browser did not send back the hub's cookie from the start of the "
                   "launch (it blocks the hub's cookies inside the LMS's page, or the hub is not on HTTPS); "
                   "open the link in a new tab, or ask your teacher")
OPEN_FROM_LMS = "This hub logs people in from their course page in the LMS (LTI 1.3): open it from there"
NOT_THIS_LAUNCH = ("LTI launch refused: it does not match the launch this browser started (started twice, or in "
                   "another tab); open the link in the LMS again")


def _refusal(error: HTTPError) -> LaunchRefused:
    """Upstream's state and nonce checks (HTTP 400s) in words a student can act on."""
    text = (error.log_message or "") % error.args if error.args else (error.log_message or "")
    return LaunchRefused(COOKIES_BLOCKED if "missing" in text.lower() else NOT_THIS_LAUNCH, status=400)


class LaunchInitHandler(LTI13LoginInitHandler):
    """Step 1 (/hub/lti13/oauth_login): the LMS starts a launch through her browser; upstream
    sets the state and nonce cookies and sends her to the LMS's authorization URL."""

    def post(self):
        issuer = self.get_argument("iss", None)
        if issuer is None:
            raise HTTPError(400, "%s", OPEN_FROM_LMS)
        if issuer != self.authenticator.issuer:
            raise HTTPError(400, "%s", f"LTI launch refused: the launch comes from another LMS (issuer {issuer!r}; "
                                       f"this hub trusts {self.authenticator.issuer!r})")
        client_id = self.get_argument("client_id", None)
        if client_id is not None and client_id not in self.authenticator.client_id:
            raise HTTPError(400, "%s", f"LTI launch refused: the launch is for another tool (client id {client_id!r})")
        if in_a_frame(self.request.headers, self.request.arguments):  # inside the LMS's page: framecheck
            fields = {name: self.get_argument(name) for name in self.request.arguments}
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(frame_check_page(self.request.path, fields))
            return None
        if client_id is None and len(self.authenticator.client_id) == 1:
            # Optional in a login initiation (LTI 1.3 Security, 5.1.1.1); the authorization request needs it.
            self.request.arguments["client_id"] = [next(iter(self.authenticator.client_id)).encode()]
        return super().post()

    get = post


class FormlessLoginHandler(LoginHandler):
    """/hub/login: JupyterHub's page, whose one button says where people log in; a post to it
    logs nobody in (JupyterHub's own handler would hand the form's fields to `authenticate`,
    and fail with a 500 on a form without a username). A 403 shows the page again."""

    async def post(self):
        self.log.warning("Refused a login that did not come through an LTI launch (%s %s)",
                         self.request.method, self.request.path)
        raise HTTPError(403, "%s", OPEN_FROM_LMS)


class LaunchHandler(LTI13CallbackHandler):
    """Step 3 (/hub/lti13/oauth_callback): the LMS posts the signed launch; she is checked,
    logged in, and sent where the launch (or a plugin) says."""

    _plan: LaunchPlan | None = None

    async def post(self):
        try:
            launch = self.authenticator.read_launch(await self._checked_claims())
        except LaunchRefused as refusal:
            self.log.warning("%s (%s)", refusal.message, self.request.remote_ip)
            raise HTTPError(refusal.status, "%s", refusal.message)
        user = await self.login_user({"username": launch.username, "launch": launch})
        if user is None:  # banned (users.banned), or refused by the authenticator
            raise HTTPError(403, "%s", "LTI launch refused: you may not use this hub; ask your teacher")
        plan = self._plan or LaunchPlan()
        self._join_groups(user, plan.groups)
        landing = plan.next_path or launch_landing(launch.context, self.base_url, self.request.host)
        self.redirect(redirect_for(landing, self.base_url))

    async def authenticate(self, data):
        """The launch's account (authenticator), then the plugins' say, before the account is made."""
        model = await super().authenticate(data)
        if model:
            self._plan = await self.authenticator.launch_plan(data["launch"], self.base_url)
        return model

    async def _checked_claims(self) -> dict[str, Any]:
        auth = self.authenticator
        args = convert_request_to_dict(self.request.arguments)
        if not args.get("id_token") or not args.get("state"):
            raise LaunchRefused("LTI launch refused: the LMS posted no id_token and state", status=400)
        try:
            self.check_state()
        except HTTPError as e:
            raise _refusal(e) from e
        validator = LTI13LaunchValidator(parent=self.app)
        claims = await asyncio.to_thread(
            check_id_token, args["id_token"], keys=auth.lms_keys(), issuer=auth.issuer, client_ids=auth.client_id,
            algorithms=auth.jwks_algorithms, leeway=validator.time_leeway, max_age=validator.max_age)
        try:
            validator.validate_id_token(claims)
            validator.validate_azp_claim(claims, auth.client_id)
        except ValidationError as e:
            raise LaunchRefused(f"LTI launch refused: {e}", status=400) from e
        try:
            self.check_nonce(claims)
        except HTTPError as e:
            raise _refusal(e) from e
        if not auth.seen_nonces.first_use(claims["nonce"], claims["exp"]):
            raise LaunchRefused("LTI launch refused: this launch was used already; open the link in the LMS again",
                                status=400)
        return claims

    def _join_groups(self, user, names) -> None:
        for name in names:
            group = orm.Group.find(self.db, name)
            if group is None:
                group = orm.Group(name=name)
                self.db.add(group)
            if group not in user.groups:
                user.groups.append(group)
                self.log.info("LTI launch: %s joins the group %s", user.name, name)
        self.db.commit()


class ToolConfigHandler(BaseHandler):
    """/hub/lti13/config: the tool's registration as JSON (Canvas's "Enter URL" method)."""

    def get(self):
        auth = self.authenticator
        urls = tool_urls(f"{auth.get_uri_scheme(self.request)}://{self.request.host}{self.base_url}")
        placement = {"message_type": "LtiResourceLinkRequest", "target_link_uri": urls.target_link}
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({
            "title": auth.tool_name,
            "description": auth.tool_description,
            "oidc_initiation_url": urls.login,
            "target_link_uri": urls.target_link,
            "public_jwk_url": urls.jwks,
            "scopes": [],  # the hub uses none of the LMS's services
            # Canvas: the login name as a custom parameter, for username_key custom_username.
            "custom_fields": {"username": "$Canvas.user.loginId"},
            "extensions": [{
                "platform": "canvas.instructure.com",
                "privacy_level": "public",  # names and email in the launch (else only an opaque user id)
                "settings": {"placements": [{"placement": where, **placement}
                                            for where in ("course_navigation", "link_selection")]},
            }],
        }, indent=2))


class ToolKeysHandler(BaseHandler):
    """/hub/lti13/jwks: the public half of the tool's key (toolkey)."""

    def get(self):
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(self.authenticator.tool_jwks()))


class _ClientIds(Set):
    """Upstream's set of client ids, also given as one text (config.yaml's client_id)."""

    def validate(self, obj, value):
        return super().validate(obj, {value} if isinstance(value, str) else value)


class LTI13Authenticator(UpstreamLTI13Authenticator):
    """Configured as `c.LTI13Authenticator`, like upstream's (see the module's docstring)."""

    login_service = "your course page in the LMS"
    login_handler = LaunchInitHandler
    callback_handler = LaunchHandler
    config_handler = ToolConfigHandler

    client_id = _ClientIds(trait=Unicode(), config=True, help="The client ID(s) the LMS gave this hub.")
    username_key = Unicode(
        DEFAULT_USERNAME_KEY, config=True,
        help="The claim that names people here: sub (the LMS's user id), email, or custom_NAME (a custom "
             "parameter). A launch without it is refused.")
    allowed_roles = List(
        Unicode(), default_value=list(DEFAULT_ALLOWED_ROLES), config=True,
        help="LMS roles in the course that may launch (Instructor, TeachingAssistant, Learner).")
    lms_admins_are_hub_admins = Bool(
        False, config=True, help="The LMS's Administrators become hub admins (root on this machine).")
    frame_ancestors = List(
        Unicode(), config=True,
        help="Web addresses that may show the hub in a frame (read by tljh-lite's hub settings).")
    tool_key_file = Unicode(
        "/opt/tljh/state/lti13-tool-key.pem", config=True,
        help="The tool's private key (made if missing), whose public half /hub/lti13/jwks serves.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen_nonces = SeenNonces()
        self._keys: LmsKeys | None = None
        self._tool_jwks: dict | None = None

    @validate("jwks_endpoint", "authorize_url")
    def _https_only(self, proposal):
        if proposal.value and not proposal.value.startswith("https://"):
            raise TraitError(f"LTI13Authenticator.{proposal.trait.name} must be an https:// URL, "
                             f"not {proposal.value!r}")
        return proposal.value

    def login_url(self, base_url):
        return url_path_join(base_url, LOGIN_PATH)

    def callback_url(self, base_url):
        return url_path_join(base_url, LAUNCH_PATH)

    def config_json_url(self, base_url):
        return url_path_join(base_url, CONFIG_PATH)

    def get_handlers(self, app):
        # Before JupyterHub's own handlers, so /login is ours.
        return [*super().get_handlers(app), (url_path_join("", JWKS_PATH), ToolKeysHandler),
                ("/login", FormlessLoginHandler)]

    def lms_keys(self) -> LmsKeys:
        if self._keys is None or self._keys.url != self.jwks_endpoint:
            self._keys = LmsKeys(self.jwks_endpoint)
        return self._keys

    def tool_jwks(self) -> dict:
        if self._tool_jwks is None:  # made (the key file too, if missing) the first time it is asked for
            self._tool_jwks = public_jwks(tool_key(Path(self.tool_key_file)))
        return self._tool_jwks

    def read_launch(self, claims: dict) -> Launch:
        policy = Policy(self.username_key or DEFAULT_USERNAME_KEY, tuple(self.allowed_roles),
                        self.lms_admins_are_hub_admins)
        return read_launch(claims, policy)

    async def launch_plan(self, launch: Launch, base_url: str) -> LaunchPlan | None:
        """tljh_lite_lms_launch, in a worker thread; a plugin's TljhError refuses the launch."""
        try:
            plan, warnings = await asyncio.to_thread(ask_plugins, installed_plugins(), launch, base_url)
        except TljhError as e:
            self.log.warning("LTI launch of %s refused by a plugin: %s", launch.username, e.one_line())
            raise HTTPError(403, "%s", e.one_line()) from e
        for warning in warnings:
            self.log.warning("LTI launch of %s: %s", launch.username, warning)
        return plan

    async def authenticate(self, handler, data=None):
        """Only a launch checked by LaunchHandler; anything else (JupyterHub's login form) logs nobody in."""
        launch = data.get("launch") if isinstance(data, dict) else None
        if not isinstance(handler, LaunchHandler) or not isinstance(launch, Launch):
            self.log.warning("Refused a login that did not come through an LTI launch (%s %s)",
                             handler.request.method if handler else "-", handler.request.path if handler else "-")
            return None
        # config.yaml's users.admin are admins; an LMS Administrator only when the professor says
        # so; anyone else is not (the LMS decides this hub's admins, not an earlier click in the admin panel).
        admin = launch.lms_admin or self.normalize_username(launch.username) in self.admin_users
        return {"name": launch.username, "admin": admin}
