"""limits.disk: sizes, the filesystems students write to and whether each takes quotas (from real
mountinfo text), fstab edits, the commands that turn quotas on and set limits, and what status reads."""

from __future__ import annotations

import os

import pytest

from fakes import RecordingRunner
from tljh_lite.config.defaults import merged
from tljh_lite.config.editor import Editor
from tljh_lite.errors import ConfigError
from tljh_lite.quotas import apply, machine, newaccount, report
from tljh_lite.quotas.fstab import add_options, fstab_line, with_options
from tljh_lite.quotas.limits import Usage, parse_repquota_csv, setquota_input
from tljh_lite.quotas.mounts import mount_of, parse_mountinfo
from tljh_lite.quotas.support import AFTER_REBOOT, CAN, CANNOT, ON, Kernel, assess, student_filesystems
from tljh_lite.quotas.turnon import turn_on
from tljh_lite.runner import Result
from tljh_lite.sizes import show_bytes, size_bytes

# Read on Debian 12's kernel (integration-tests/test_disk_quotas_vm.py's machine): / and /home on
# disks of their own; VM_WITH_QUOTAS: /home once quotas are on (journaled).
VM = """\
23 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
26 27 0:23 / /run rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,size=201212k,mode=755,inode64
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,errors=remount-ro
28 24 0:24 / /dev/shm rw,nosuid,nodev - tmpfs tmpfs rw,inode64
171 27 254:16 / /home rw,relatime - ext4 /dev/vdb rw
"""
VM_WITH_QUOTAS = VM.replace("/dev/vdb rw", "/dev/vdb rw,jqfmt=vfsv1,usrjquota=aquota.user")
# A docker container with /home bound from a loop-mounted ext4 (integration-tests/test_disk.py).
CONTAINER = """\
9281 9183 0:193 / / rw,relatime master:4824 - overlay overlay rw,lowerdir=/a:/b,upperdir=/c,workdir=/d
9288 9281 0:201 / /run rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw
9289 9281 254:0 /var/lib/docker/containers/6f/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw,discard
6550 9281 7:0 / /srv/disk rw,relatime - ext4 /dev/loop0 rw
6551 9281 7:0 /home /home rw,relatime - ext4 /dev/loop0 rw
"""
# Debian 13: /tmp is memory; an XFS /home mounted with user and project quotas.
TRIXIE_XFS = """\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,errors=remount-ro
40 27 0:40 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=1000k,inode64
41 27 254:32 / /home rw,relatime - xfs /dev/vdc rw,attr2,inode64,logbufs=8,logbsize=32k,usrquota,prjquota
"""
ONE_DISK = "27 1 254:0 / / rw,relatime - ext4 /dev/sda1 rw,errors=remount-ro\n"
REPQUOTA = """\
User,BlockStatus,FileStatus,BlockUsed,BlockSoftLimit,BlockHardLimit,BlockGrace,FileUsed,FileSoftLimit,FileHardLimit,FileGrace
root,ok,ok,13,0,0,,2,0,0,
jupyter-alice,+-,ok,51200,0,51200,,5,0,51200,
jupyter-bob,ok,ok,20487,0,51200,,5,0,51200,
jupyter-carol,ok,ok,7,0,0,,4,0,0,
"""
FSTAB = """\
# /etc/fstab: static file system information.
UUID=1111-aaaa /               ext4    errors=remount-ro 0       1
# /home on its own disk
UUID=2222-bbbb /home           ext4    defaults        0       2
/dev/vdc	/srv/x\\040y	xfs	noatime	0	2
"""


# --- sizes and config --------------------------------------------------------------------


@pytest.mark.parametrize("text, size", [("50M", 50 * 2**20), ("1.5G", 3 * 2**29), ("512K", 2**19), ("2T", 2 * 2**40)])
def test_a_disk_size_is_memorys_grammar(text, size):
    assert size_bytes(text) == size


@pytest.mark.parametrize("text", ["50", "50MB", "0G", "1,5G", "-1G", "G", ""])
def test_what_is_not_a_size_is_refused(text):
    with pytest.raises(ValueError):
        size_bytes(text)


def test_sizes_are_shown_for_people():
    assert [show_bytes(n) for n in (512, 812 * 1024, 50 * 2**20, 1.25 * 2**30, None)] == [
        "512 bytes", "812 KiB", "50.0 MiB", "1.2 GiB", "-"]


def test_limits_disk_and_a_groups_disk_limit_are_config_keys(checker):
    editor = Editor(checker)
    config = editor.set({}, "limits.disk", "50M").config
    config = editor.set(config, "groups.big.limits.disk", "100M").config
    assert config == {"limits": {"disk": "50M"}, "groups": {"big": {"limits": {"disk": "100M"}}}}
    assert editor.set(config, "limits.disk", "none").config["limits"]["disk"] is None
    with pytest.raises(ConfigError) as refused:
        editor.set({}, "limits.disk", "50MB")
    assert str(refused.value) == "limits.disk must be a disk size like 500M or 2G, or none, not '50MB'"


# --- which filesystems, and what they can do ------------------------------------------------


def test_mountinfo_is_read_with_the_filesystems_own_options_and_escaped_paths():
    mounts = parse_mountinfo(VM_WITH_QUOTAS + "80 27 254:48 / /srv/x\\040y rw - xfs /dev/vdd rw,usrquota\n")
    home = mount_of("/home/jupyter-alice", mounts)
    assert (home.point, home.fstype, home.source, home.device) == ("/home", "ext4", "/dev/vdb", "254:16")
    assert home.has_option("usrjquota") and not home.has_option("usrquota")
    assert mount_of("/srv/x y/z", mounts).fstype == "xfs"
    assert mount_of("/tmp", mounts).point == "/" and mount_of("/homework", mounts).point == "/"


def test_the_filesystems_students_write_to():
    vm = student_filesystems(parse_mountinfo(VM))
    assert [(f.point, f.paths) for f in vm] == [("/home", ("/home",)), ("/", ("/tmp", "/var/tmp"))]
    assert vm[1].what() == "/ (ext4, holding /tmp, /var/tmp)"
    (one,) = student_filesystems(parse_mountinfo(ONE_DISK))
    assert one.paths == ("/home", "/tmp", "/var/tmp") and one.holds_homes
    # A bind mount is its filesystem, named where all of it is mounted; overlay is the container's own.
    container = student_filesystems(parse_mountinfo(CONTAINER))
    assert [(f.point, f.mount.fstype, f.paths) for f in container] == [
        ("/srv/disk", "ext4", ("/home",)), ("/", "overlay", ("/tmp", "/var/tmp"))]
    # /tmp in memory is her server's memory, not disk.
    assert [f.paths for f in student_filesystems(parse_mountinfo(TRIXIE_XFS))] == [("/home",), ("/var/tmp",)]


@pytest.mark.parametrize("said, on", [
    ("user quota on /home (/dev/vdb) is on\n", True),  # ext4
    ("user quota on /home (/dev/vdc) is on (enforced)\n", True),  # XFS
    ("user quota on /home (/dev/vdc) is on (accounting)\n", False),  # XFS, uqnoenforce: counted, not enforced
    ("user quota on /home (/dev/vdb) is off\n", False),
    ("quotaon: Mountpoint (or device) /home not found or has no quota enabled.\n", False),
])
def test_quotaons_word_on_whether_limits_are_enforced(said, on):
    runner = RecordingRunner({("quotaon",): Result([], 0, said, "")})
    assert machine.quota_is_on(runner, "/home") is on


def test_the_kernels_quota_support_is_read_from_its_symbols_and_modules():
    assert machine.kernel_support("ffff t v2_read_file_info\t[quota_v2]\n", []) == Kernel(True, False)
    assert machine.kernel_support("ffff T dquot_quota_on\n", ["quota_v2.ko.xz", "quota_tree.ko.xz"]).quota_formats
    # This project's test machines: dquot, but no quota format and no XFS quotas.
    assert machine.kernel_support("ffff T dquot_quota_on\nffff t xfs_fs_fill_super\n", []) == Kernel(False, False)
    assert machine.kernel_support("ffff t xfs_qm_vop_chown\t[xfs]\n", []).xfs_quota


def _assess(text, kernel=Kernel(True, True), **facts):
    facts = {"quota_on": False, "tools": True, "in_fstab": True, **facts}
    return [assess(fs, kernel, **facts) for fs in student_filesystems(parse_mountinfo(text))]


def test_what_each_filesystem_can_do():
    home, root = _assess(VM)
    assert (home.state, root.state) == (CAN, CAN) and "no reboot" in home.why
    assert _assess(VM, quota_on=True)[0].state == ON
    homes, overlay = _assess(CONTAINER, Kernel(False, False))
    assert homes.state == CANNOT and homes.line() == (
        "/srv/disk (ext4, holding /home): this machine's kernel has no disk quota support (no quota_v2); run a "
        "distribution kernel (Debian's linux-image-amd64 has it); a container has its host's kernel")
    assert overlay.state == CANNOT and overlay.hint is None  # not the homes: nothing to move
    moved = _assess("1 0 0:1 / / rw - overlay overlay rw\n")[0]
    assert moved.line() == ("/ (overlay, holding /home, /tmp, /var/tmp): an overlay filesystem (a container's) has "
                            "no quotas; put /home on its own ext4 or XFS volume (docs/disk.md)")
    assert "quota package" in _assess(VM, tools=False)[0].why


def test_xfs_takes_quotas_only_when_it_mounts():
    xfs, _ = _assess(TRIXIE_XFS, quota_on=True)
    assert xfs.state == ON
    plain = TRIXIE_XFS.replace(",usrquota,prjquota", "")
    assert _assess(plain)[0].state == CAN and "reboot" in _assess(plain)[0].why
    assert _assess(plain, fstab_options=frozenset({"defaults", "uquota"}))[0].state == AFTER_REBOOT
    assert _assess(plain, in_fstab=False)[0].state == CANNOT
    assert _assess(plain, Kernel(True, False))[0].state == CANNOT
    root = _assess("27 1 254:0 / / rw - xfs /dev/vda rw,attr2\n")[0]
    assert root.state == CANNOT and "rootflags=uquota" in root.hint


# --- /etc/fstab ----------------------------------------------------------------------------


def test_fstab_gets_the_options_on_the_right_line_and_nothing_else_changes():
    new = with_options(FSTAB, "/home", ["usrjquota=aquota.user", "jqfmt=vfsv1"])
    old_lines, new_lines = FSTAB.splitlines(), new.splitlines()
    assert [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b] == [3]
    assert new_lines[3] == "UUID=2222-bbbb /home           ext4    defaults,usrjquota=aquota.user,jqfmt=vfsv1        0       2"
    assert with_options(new, "/home", ["usrjquota=aquota.user", "jqfmt=vfsv1"]) == new  # already there
    assert fstab_line(new, "/").options == ("errors=remount-ro",)
    assert with_options(FSTAB, "/srv/x y", ["uquota"]).splitlines()[4] == "/dev/vdc\t/srv/x\\040y\txfs\tnoatime,uquota\t0\t2"
    assert with_options(FSTAB, "/var", ["uquota"]) is None
    assert with_options("/dev/sdb /home ext4\n", "/home", ["usrquota"]) == "/dev/sdb /home ext4\tdefaults,usrquota\n"


def test_fstab_is_replaced_whole_with_a_copy_of_the_old_one(tmp_path):
    fstab = tmp_path / "fstab"
    fstab.write_text(FSTAB)
    os.chmod(fstab, 0o644)
    assert add_options(fstab, "/home", ["usrquota"]) is True
    assert "defaults,usrquota" in fstab.read_text() and (fstab.stat().st_mode & 0o777) == 0o644
    assert (tmp_path / "fstab.tljh-lite.bak").read_text() == FSTAB
    assert add_options(fstab, "/home", ["usrquota"]) is False
    assert add_options(fstab, "/nowhere", ["usrquota"]) is None


# --- turning quotas on, setting limits -----------------------------------------------------------


@pytest.fixture
def places(tmp_path, monkeypatch):
    monkeypatch.setattr(machine, "have_tools", lambda: True)
    (tmp_path / "mountinfo").write_text(VM)
    (tmp_path / "fstab").write_text(FSTAB)
    (tmp_path / "kallsyms").write_text("ffff t v2_read_file_info\t[quota_v2]\n")
    return machine.Places(tmp_path / "mountinfo", tmp_path / "fstab", tmp_path / "kallsyms", tmp_path / "modules")


def quotaon_says(*on: str) -> RecordingRunner:
    """A runner whose `quotaon -p` says quotas are on for these mount points."""
    runner = RecordingRunner()
    original = runner._execute

    def execute(argv, **kwargs):
        if argv[:3] == ["quotaon", "-p", "-u"]:
            runner.calls.append(argv)
            state = "on" if argv[3] in on else "off"
            return Result(argv, 0 if state == "off" else 1, f"user quota on {argv[3]} (/dev/x) is {state}\n", "")
        return original(argv, **kwargs)

    runner._execute = execute
    return runner


def test_ext4_quotas_go_on_with_a_remount_one_scan_and_quotaon_and_stay_in_fstab(places):
    runner = quotaon_says()
    (home, _root) = machine.supports(runner, places)
    done = turn_on(runner, home, places)
    assert done.state == ON and done.hint is None
    assert [c for c in runner.calls if c[0] != "quotaon" or c[1] != "-p"] == [
        ["tune2fs", "-l", "/dev/vdb"],
        ["mount", "-o", "remount,usrjquota=aquota.user,jqfmt=vfsv1", "/home"],
        ["quotacheck", "-um", "-c", "-F", "vfsv1", "/home"],
        ["quotaon", "-u", "/home"],
    ]
    assert "defaults,usrjquota=aquota.user,jqfmt=vfsv1" in places.fstab.read_text()


def test_ext4_with_the_quota_feature_needs_no_scan(places):
    runner = quotaon_says()
    runner.answers[("tune2fs",)] = Result([], 0, "Filesystem features:      has_journal ext_attr quota extent\n", "")
    home, _ = machine.supports(runner, places)
    assert turn_on(runner, home, places).state == ON
    planned = [c[:2] for c in runner.calls]
    assert ["mount", "-o"] in planned and ["quotacheck", "-um"] not in planned
    assert "defaults,usrquota " in places.fstab.read_text()


def test_a_failed_step_leaves_fstab_alone_and_says_why(places):
    runner = quotaon_says()
    runner.answers[("mount",)] = Result([], 32, "", "mount: /home: mount point not mounted or bad option.\n")
    home, _ = machine.supports(runner, places)
    failed = turn_on(runner, home, places)
    assert failed.state == CANNOT and "mount point not mounted or bad option" in failed.why
    assert places.fstab.read_text() == FSTAB


def test_xfs_gets_uquota_in_fstab_and_a_reboot(places):
    places.mountinfo.write_text(VM.replace("/home rw,relatime - ext4 /dev/vdb rw", "/home rw,relatime - xfs /dev/vdb rw,attr2"))
    places.kallsyms.write_text("ffff t xfs_qm_vop_chown\t[xfs]\n")
    runner = quotaon_says()
    home = machine.supports(runner, places)[0]
    assert home.state == CAN
    after = turn_on(runner, home, places)
    assert after.state == AFTER_REBOOT and "reboot the machine, then run sudo tljh-config reload" in after.hint
    assert "defaults,uquota " in places.fstab.read_text()
    assert machine.supports(runner, places)[0].state == AFTER_REBOOT


CLASS = merged({
    "users": {"allowed": ["alice", "bob", "carol"], "admin": ["prof"]},
    "limits": {"disk": "50M"},
    "groups": {"big": {"users": ["carol", "prof"], "limits": {"disk": "100M"}},
               "huge": {"users": ["prof"], "limits": {"disk": None}},
               "readers": {"users": ["bob"]}},
})
ACCOUNTS = ["jupyter-alice", "jupyter-bob", "jupyter-carol", "jupyter-prof", "jupyter-zed"]


def test_each_account_gets_its_limit_the_largest_of_its_groups():
    assert apply.wanted_limits(CLASS, ACCOUNTS) == {
        "jupyter-alice": "50M", "jupyter-bob": "50M", "jupyter-carol": "100M",
        "jupyter-prof": None,  # a group without limit beats every limit
        "jupyter-zed": "50M",  # an account no list names: the default
    }
    assert setquota_input({"jupyter-alice": "50M", "jupyter-prof": None}) == (
        "jupyter-alice 0 51200 0 51200\njupyter-prof 0 0 0 0\n")


def test_reload_turns_quotas_on_and_sets_every_accounts_limit_in_one_setquota_per_filesystem(places):
    runner = quotaon_says()
    said = []
    supports = apply.apply_disk_limits(CLASS, runner, accounts=ACCOUNTS, places=places, say=said.append)
    assert [s.state for s in supports] == [ON, ON]
    setquotas = [c for c in runner.calls if c[0] == "setquota"]
    assert setquotas == [["setquota", "-u", "-b", "/home"], ["setquota", "-u", "-b", "/"]]
    assert said == ["Turning on disk quotas on /home (ext4) (one scan of its files)...",
                    "Turning on disk quotas on / (ext4, holding /tmp, /var/tmp) (one scan of its files)..."]


def test_setquota_gets_every_account_on_its_standard_input(places):
    lines = []

    class Runner(RecordingRunner):
        def run(self, argv, **kwargs):
            if argv[0] == "setquota":
                lines.append(kwargs["input"])
            return super().run(argv, **kwargs)

    apply.apply_disk_limits(CLASS, Runner(), accounts=ACCOUNTS, places=places)
    assert lines[0].splitlines() == ["jupyter-alice 0 51200 0 51200", "jupyter-bob 0 51200 0 51200",
                                     "jupyter-carol 0 102400 0 102400", "jupyter-prof 0 0 0 0",
                                     "jupyter-zed 0 51200 0 51200"]


def test_no_limit_asked_and_no_quotas_on_touches_nothing(places):
    runner = quotaon_says()
    apply.apply_disk_limits(merged({}), runner, accounts=ACCOUNTS, places=places)
    assert {c[0] for c in runner.calls} <= {"quotaon"}  # only asked where quotas stand
    assert places.fstab.read_text() == FSTAB


def test_limits_taken_away_are_set_back_to_none_where_quotas_are_on(places):
    runner = quotaon_says("/home")
    apply.apply_disk_limits(merged({}), runner, accounts=["jupyter-alice"], places=places)
    assert [c for c in runner.calls if c[0] in ("setquota", "mount", "quotacheck")] == [["setquota", "-u", "-b", "/home"]]


def test_a_machine_that_cannot_says_so_and_changes_nothing(places):
    places.mountinfo.write_text(CONTAINER)
    places.kallsyms.write_text("ffff T dquot_quota_on\n")
    runner = quotaon_says()
    said = []
    apply.apply_disk_limits(CLASS, runner, accounts=ACCOUNTS, places=places, say=said.append)
    assert said[0].startswith("warning: disk quotas: /srv/disk (ext4, holding /home): this machine's kernel has no disk "
                              "quota support")
    assert all(c[0] == "quotaon" and c[1] == "-p" for c in runner.calls)


def test_the_hub_sets_a_new_accounts_limit_outside_its_sandbox_only_where_quotas_are_configured(places):
    places.mountinfo.write_text(VM_WITH_QUOTAS)
    runner = RecordingRunner()
    assert newaccount.limit_new_account(runner, "/opt/tljh/hub/bin/python3", "jupyter-dan", "50M", places) is not None
    assert runner.calls == [["systemd-run", "--wait", "--pipe", "--quiet", "--collect", "/opt/tljh/hub/bin/python3",
                             "-m", "tljh_lite.quotas.newaccount", "jupyter-dan", "50M"]]
    places.mountinfo.write_text(ONE_DISK)  # no quota options anywhere: a first login pays nothing
    assert newaccount.limit_new_account(runner, "python3", "jupyter-eve", None, places) is None
    assert len(runner.calls) == 1


# --- what status and users list show -------------------------------------------------------------


def test_repquota_csv_in_bytes():
    usage = parse_repquota_csv(REPQUOTA)
    assert usage["jupyter-alice"] == Usage(50 * 2**20, 50 * 2**20, 5) and usage["jupyter-alice"].over
    assert usage["jupyter-carol"].limit is None and not usage["jupyter-bob"].over
    assert parse_repquota_csv("repquota: Mountpoint (or device) /home not found\n") == {}


def test_status_shows_use_against_limit_and_names_accounts_without_their_limit(places, tmp_path):
    runner = quotaon_says("/home", "/")
    runner.answers[("repquota",)] = Result([], 0, REPQUOTA, "")
    disk = report.disk_report(CLASS, runner, tmp_path, places=places, homes=tmp_path)
    assert [s["account"] for s in disk["students"]] == ["jupyter-alice", "jupyter-bob", "jupyter-carol"]
    assert disk["at_limit"] == ["jupyter-alice"]
    # carol's group gives her 100M and repquota says she has none: the reload was not run.
    assert disk["problems"] == ["disk quotas: 1 accounts do not have the limit config.yaml gives them (jupyter-carol); "
                                "run: sudo tljh-config reload"]
    cells = report.disk_cells(parse_repquota_csv(REPQUOTA), apply.hub_names(CLASS, ["jupyter-alice", "jupyter-carol"]))
    assert cells == {"alice": "50.0 MiB of 50.0 MiB FULL", "carol": "7 KiB (no limit)"}


def test_status_names_a_filesystem_that_cannot_take_the_limit_asked(places, tmp_path):
    places.mountinfo.write_text(CONTAINER)
    places.kallsyms.write_text("")
    disk = report.disk_report(CLASS, quotaon_says(), tmp_path, places=places, homes=tmp_path)
    assert disk["problems"][0].startswith("disk quotas: /srv/disk (ext4, holding /home): this machine's kernel has no")
    supports = machine.supports(quotaon_says(), places)
    assert report.setting_warning(supports) == (
        "disk quotas: /srv/disk (ext4, holding /home): this machine's kernel has no disk quota support (no quota_v2); "
        "run a distribution kernel (Debian's linux-image-amd64 has it); a container has its host's kernel "
        "(and 1 more: sudo tljh-lite status)")
    assert report.disk_report(merged({}), quotaon_says(), tmp_path, places=places, homes=tmp_path)["problems"] == []


def test_a_full_disk_without_quotas_is_measured_with_du_for_its_biggest_homes(places, tmp_path, monkeypatch):
    homes = tmp_path / "home"
    for name in ("jupyter-alice", "jupyter-bob"):
        (homes / name).mkdir(parents=True)
    monkeypatch.setattr(report, "space", lambda path: report.Space(100, 99, 5))
    runner = quotaon_says()
    runner.answers[("du",)] = Result([], 0, f"188743680\t{homes}/jupyter-alice\n4096\t{homes}/jupyter-bob\n", "")
    disk = report.disk_report(merged({}), runner, tmp_path / "state", places=places, homes=homes)
    assert ["du", "-s", "-x", "-B1", "--", f"{homes}/jupyter-alice", f"{homes}/jupyter-bob"] in runner.calls
    assert report.biggest_homes_words(disk) == "jupyter-alice 180.0 MiB, jupyter-bob 4 KiB"


def test_a_hub_on_the_students_disk_without_room_for_root_is_a_problem(places, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "space", lambda path: report.Space(100, 10, 0))  # XFS: nothing kept for root
    disk = report.disk_report(merged({}), quotaon_says(), tmp_path, places=places, homes=tmp_path)
    assert disk["hub_state_shares_homes_disk"] and "keeps no space for root" in disk["problems"][0]
    monkeypatch.setattr(report, "space", lambda path: report.Space(100, 10, 5))  # ext4: 5 % for root
    assert report.disk_report(merged({}), quotaon_says(), tmp_path, places=places, homes=tmp_path)["problems"] == []


# --- the commands ------------------------------------------------------------------------------


@pytest.fixture
def installed_here(tmp_path, monkeypatch):
    """tljh-config's own config.yaml under a temporary prefix, as root, on a machine whose /home cannot take quotas."""
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("")
    places = machine.Places(tmp_path / "mountinfo", tmp_path / "fstab", tmp_path / "kallsyms", tmp_path / "modules")
    places.mountinfo.write_text("1 0 0:1 / / rw - overlay overlay rw\n")
    monkeypatch.setattr(machine, "supports", lambda runner, where=places, real=machine.supports: real(runner, where))
    return tmp_path


def test_tljh_config_set_warns_in_one_line_when_this_machine_cannot_enforce_a_disk_limit(installed_here, capsys):
    from tljh_lite.cli.tljh_config import main

    assert main(["set", "limits.disk", "50M"]) == 0
    out = capsys.readouterr()
    assert "limits.disk set to '50M'" in out.out
    assert out.err == ("warning: disk quotas: / (overlay, holding /home, /tmp, /var/tmp): an overlay filesystem (a "
                       "container's) has no quotas; put /home on its own ext4 or XFS volume (docs/disk.md)\n")
    assert main(["set", "groups.big.limits.disk", "none"]) == 0  # no limit: nothing to warn about
    assert capsys.readouterr().err == ""


def test_status_text_says_where_quotas_stand_and_who_is_at_her_limit():
    from tljh_lite.status.render import disk_lines

    disk = {"limits_asked": True, "at_limit": ["jupyter-alice"],
            "filesystems": [{"state": "on", "line": "/home (ext4): user quotas are on"}],
            "students": [{"account": "jupyter-alice", "name": "alice", "used": 50 * 2**20, "limit": 50 * 2**20},
                         {"account": "jupyter-bob", "name": "bob", "used": 2**20, "limit": None}],
            "homes": {"path": "/home", "total": 100 * 2**20, "used": 60 * 2**20, "reserved_for_root": 5 * 2**20},
            "hub_state_shares_homes_disk": True}
    assert disk_lines(disk) == [
        "Disk quotas:",
        "  /home (ext4): user quotas are on",
        "  2 accounts, 1 at their limit: alice",
        "  most used: alice 50.0 MiB of 50.0 MiB, bob 1.0 MiB",
        "  the hub's database shares /home's filesystem; root keeps 5 % (5.0 MiB) of it that students cannot fill",
    ]
    none = {**disk, "limits_asked": False, "filesystems": [{"state": "cannot", "line": "..."}],
            "hub_state_shares_homes_disk": False}
    assert disk_lines(none) == ["Disk quotas: none (sudo tljh-config set limits.disk 2G, then reload; docs/disk.md)",
                                "  the hub's database is on another filesystem than /home"]


def test_users_list_has_a_disk_column_where_quotas_are_on():
    from tljh_lite.users.listing import table, user_rows

    config = merged({"users": {"admin": ["prof"], "allowed": ["alice", "bob"]}})
    rows = user_rows(config, (), None, {"alice": "50.0 MiB of 50.0 MiB FULL", "prof": "1.0 MiB (no limit)"})
    assert table(rows).splitlines() == [
        "NAME   ROLE     GROUPS  PASSWORD  DISK",
        "prof   admin            -         1.0 MiB (no limit)",
        "alice  student          -         50.0 MiB of 50.0 MiB FULL",
        "bob    student          -         -",
    ]
    assert "DISK" not in table(user_rows(config, (), None))
