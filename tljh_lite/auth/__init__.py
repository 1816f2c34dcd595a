"""Logging in: which authenticator config.yaml names, and what switching to it means.

- `kinds`: what kind of authenticator an `auth.type` is (FirstUse, Native, Tmp, LDAP, OAuth...),
  and the class the hub runs for it;
- `native`: NativeAuthenticator as the hub runs it (JupyterHub 6 compatibility; admins never
  get their account from the signup form);
- `secrets`: which of config.yaml's authenticator settings are secrets (by where they come from);
- `lockout`: before a reload, what keeps the admins of config.yaml from logging in (pure);
- `switch`: what `tljh-config reload` does for the new authenticator before it restarts the hub.

Import what you need from the module that has it; this package exports nothing.
"""
