"""tljh-lite's own needs, registered as a plugin so ours and a course's take the same path."""

from __future__ import annotations

from .hooks import hookimpl

# git for nbgitpuller; sudo for admins' terminals; the proxy from the distribution;
# quota for limits.disk (setquota, quotaon, repquota: ext4 and XFS user quotas; quotas/).
APT_PACKAGES = ["node-configurable-http-proxy", "git", "sudo", "quota"]

# What every student's environment has (DESIGN.md); the hub's JupyterHub
# version is added by the installer so the single-user server matches it.
USER_PIP_PACKAGES = [
    "notebook",
    "jupyterlab",
    "ipykernel",
    "ipywidgets",
    "nbgitpuller",
    "jupyter-resource-usage",
]


@hookimpl
def tljh_extra_apt_packages():
    return APT_PACKAGES


@hookimpl
def tljh_extra_user_pip_packages():
    return USER_PIP_PACKAGES
