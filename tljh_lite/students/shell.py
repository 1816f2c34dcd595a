"""The course environment first on PATH in hub users' login shells.

JupyterLab's terminals are login shells, and Debian's /etc/profile resets PATH,
dropping the /opt/tljh/user/bin that the spawner put first; this script, run by
/etc/profile, puts it back for members of jupyterhub-users (every student and
admin). Non-login shells (`bash`, scripts, a notebook's `!pip`) inherit PATH
from the server or from the login shell they start in, so they need nothing.
Root's shells are left alone: admins reach the course environment with
`sudo -E pip ...` from their own terminal (see users.accounts.SUDOERS_TEXT).
"""

from __future__ import annotations

from pathlib import Path

from ..files import write_if_changed
from ..paths import Paths
from ..users.accounts import USERS_GROUP

PROFILE_SCRIPT = Path("/etc/profile.d/tljh-lite-user-env.sh")


def profile_script(paths: Paths) -> str:
    user_bin = paths.user_venv / "bin"
    return f"""\
# Written by tljh-lite: the course environment ({paths.user_venv}) comes first on
# PATH for hub users, so `python3`, `pip` and `jupyter` in a terminal are the
# ones their notebooks use. /etc/profile reset PATH just before this runs.
case ":$PATH:" in
    *":{user_bin}:"*) ;;
    *)
        case " $(id -Gn 2>/dev/null) " in
            *" {USERS_GROUP} "*)
                PATH="{user_bin}:$PATH"
                export PATH
                ;;
        esac
        ;;
esac
"""


def ensure_profile_script(paths: Paths, target: Path = PROFILE_SCRIPT) -> bool:
    """True if the script was written (it changed)."""
    target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    return write_if_changed(target, profile_script(paths), 0o644)
