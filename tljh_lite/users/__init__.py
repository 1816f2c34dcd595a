"""The people who use the hub: their accounts, the class roster, passwords and groups.

- `accounts`: unix accounts (`jupyter-<name>`), whose they are, their groups, admins' sudo;
  `adoption`: accounts from before they recorded their hub user, recorded once at install;
- `roles`: users.admin as the hub's exact admins, and what a change of role ends at a hub start;
- `promotion`: a new admin's password is one tljh-lite set (`trusted`: the record of those);
- `roster`: reading a class roster CSV, every problem named by its row;
- `plan`: what importing a roster changes in config.yaml (pure: config in, changes out);
- `passwords`: generating passwords, and the FirstUse store; `native`: NativeAuthenticator's;
- `importer`: `tljh-lite users import`, from the file to a reloaded hub;
- `newpassword`: one person's new password: `reset-password`, and a new admin's, set
  when she is named (`tljh-config add-item users.admin`), never at a first login;
- `listing`: `tljh-lite users list`;
- `groups`: config.yaml's groups as JupyterHub groups with per-group limits (pure);
  `hubgroups`: members taken out of a group in config.yaml leave the hub's group too.

Import what you need from the module that has it; this package exports nothing.
"""
