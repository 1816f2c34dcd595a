"""Memory compression: swap in compressed memory (zram), with the distribution's systemd-zram-generator.

- `setup`: on or off as `zram.enabled` says, where the machine allows it (not in a container);
- `state`: what `tljh-lite status` shows (the device, how much it holds, in how much memory).

Why, and what it gave: docs/performance.md. Import what you need from the module that has it.
"""
