"""What a student's account, server and shell may reach, and what they find there.

The security model these modules implement is stated in docs/security.md:
- `unit`: the systemd properties of each student's server (her own processes,
  /dev/shm and IPC; NoNewPrivileges),
- `ssh`: no SSH logins for hub accounts,
- `shell`: the course environment first on PATH in login shells,
- `markers`: plugins' new-user hooks run once per account, retried until they succeed.

Who may log in at all is `users.admission`'s.
"""
