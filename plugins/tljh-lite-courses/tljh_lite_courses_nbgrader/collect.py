"""nbgrader's collector, made safe against what a student with a terminal can put in the inbound folder.

nbgrader files a submission under the student id at the start of its folder's
name (`jupyter-ada+ps1+<time>+<random>`), and only warns when the folder's
owner differs ("cheating attempt?"): a student who creates
`jupyter-ben+ps1+...` would be graded as Ben, and her later timestamp would
replace his real submission. It also copies the folder with
`shutil.copytree`, which follows symbolic links as the grader account: a
submitted `ps1.ipynb` that is a link to the course's source notebook would
be collected with its solutions and hidden tests, and come back to her as
feedback. And a FIFO would hang the collector.

Here a submission belongs to the account that owns its folder, whatever the
name says, and only plain files and folders are copied (links and special
files are left out, with a warning in the formgrader's log). A folder that
is itself a link is skipped.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns


def owner_of(path: str) -> str | None:
    """The account owning `path` itself (never what a link points to); None if it has no name."""
    try:
        return pwd.getpwuid(os.lstat(path).st_uid).pw_name
    except (KeyError, OSError):
        return None


def plain_entries_only(directory: str, names: list[str]) -> set[str]:
    """The names in `directory` that are not plain files or folders (links, FIFOs, sockets, devices)."""
    unsafe = set()
    for name in names:
        try:
            mode = os.lstat(os.path.join(directory, name)).st_mode
        except OSError:
            unsafe.add(name)
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            unsafe.add(name)
    return unsafe


class OwnerCheckedCollect(ExchangeCollect):
    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        owner = owner_of(path)
        if os.path.islink(path) or owner is None:
            self.log.warning("Skipping %s: not a folder of a known account", path)
            record["username"] = None
        elif owner != record["username"]:
            self.log.warning("%s says it was submitted by %s but %s made it: filed under %s",
                             path, record["username"], owner, owner)
            record["username"] = owner
        return record

    def init_src(self):
        super().init_src()
        self.src_records = [record for record in self.src_records if record["username"]]

    def do_copy(self, src, dest, log=None):
        if os.path.islink(src):
            raise RuntimeError(f"{src} is a link, not a submission")
        if self.get_size(src) > 1000 * self.coursedir.max_dir_size:
            raise RuntimeError(f"{src} is larger than {self.coursedir.max_dir_size} kB")
        by_pattern = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                     max_file_size=self.coursedir.max_file_size, log=self.log)

        def ignore(directory, names):
            unsafe = plain_entries_only(directory, names)
            for name in sorted(unsafe):
                self.log.warning("Not collecting %s: not a plain file or folder", os.path.join(directory, name))
            return set(by_pattern(directory, names)) | unsafe

        shutil.copytree(src, dest, ignore=ignore, symlinks=True)
        if self.coursedir.groupshared:  # staff share what is collected (the course folder is theirs)
            for directory, _dirs, files in os.walk(dest):
                os.chmod(directory, stat.S_IMODE(os.stat(directory).st_mode) | 0o2770)
                for name in files:
                    path = os.path.join(directory, name)
                    os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) | 0o660)
