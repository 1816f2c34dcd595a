"""The most-copied public TLJH plugin: a folder every student writes,
owned by jupyterhub-users, linked from /etc/skel so new homes get the link."""

import os

import sh
from tljh.hooks import hookimpl
from tljh.user import ensure_group


@hookimpl
def tljh_config_post_install(config):
    """
    Configure /srv/shared_folders
    """
    sh.mkdir('/srv/shared_folders', '-p')
    # jupyterhub-users doesn't get created until a user logs in
    # make sure it's created before changing permissions on directory
    ensure_group('jupyterhub-users')
    sh.chown('root:jupyterhub-users', '/srv/shared_folders')
    sh.chmod('777', '/srv/shared_folders')
    sh.chmod('g+s', '/srv/shared_folders')
    # The public versions link unconditionally; a third install run then fails
    # on TLJH too (the second makes a link inside the folder), so guard it.
    if not os.path.islink('/etc/skel/shared_folders'):
        sh.ln('-s', '/srv/shared_folders', '/etc/skel/shared_folders')
