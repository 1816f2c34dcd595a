"""Logging in from the school's LMS (Canvas, Moodle, ...) with LTI 1.3, through jupyterhub-ltiauthenticator.

Pure parts, importable anywhere (the command line, unit tests):

- `claims`: a validated launch's claims to who she is here (hub name, roles in the course,
  admin or not) and what a plugin learns about the course (`Launch`); refusals (`LaunchRefused`);
- `usernames`: an LMS's user id, login or email to a valid hub name;
- `landing`: where a launch sends her (her server, a notebook, an nbgitpuller link), kept on this hub;
- `replay`: the nonces already used, remembered until their launch expires (bounded);
- `registration`: the tool's URLs a professor pastes into the LMS (`tljh-lite lti info`);
- `web`: the cookie and frame settings a launch inside the LMS's page needs over HTTPS;
- `framecheck`: the page a launch starting inside the LMS's page gets first (there, or a new tab).

Parts that need PyJWT (the hub's environment, the `test` extra): `tokens` (checking an
id_token against the LMS's keys, fetched over HTTPS and cached with a bound) and `toolkey`
(the tool's own key set, which LMS registration forms ask for).

Hub side only: `authenticator`, the LTI13Authenticator the hub runs (imports JupyterHub and
ltiauthenticator).

Import what you need from the module that has it; this package exports nothing.
"""
