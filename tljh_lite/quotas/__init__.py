"""Per-student disk quotas: the kernel's own user quotas, on every filesystem a student writes to.

- `mounts`: which filesystem holds a path (from /proc/self/mountinfo; pure);
- `support`: whether that filesystem can take user quotas, and what it needs (pure);
- `machine`: reading what `support` needs from this machine (mountinfo, the kernel, quotaon);
- `fstab`: the quota options added to a line of /etc/fstab (pure), written atomically;
- `turnon`: turning quotas on (remount, quotacheck, quotaon; XFS: fstab, then a reboot);
- `limits`: each account's limit, set with setquota, and read back with repquota;
- `apply`: what reload and the installer do: quotas on where limits are asked for, every account's limit set;
- `report`: what `tljh-lite status` and `users list` show (use against limit, the biggest homes).

Why user quotas and not XFS project quotas (2i2c's choice, where every user is
uid 1000): each student here is a unix account of her own, and a file's owner
cannot give it away, while she can change its project ID herself
(`chattr -p 0 DIR`, allowed to a file's owner outside a user namespace), which
takes her files out of a project quota. docs/disk.md has the measurements.
"""
