"""The apt step alongside the students' environment (tljh_lite/installer/alongside.py)."""

from __future__ import annotations

import threading
import time

import pytest

from tljh_lite.builtin import APT_PACKAGES
from tljh_lite.errors import TljhError
from tljh_lite.installer.alongside import can_run_alongside, run_alongside


def test_only_a_plain_install_runs_them_at_once():
    own = {*APT_PACKAGES, "systemd-zram-generator"}
    assert can_run_alongside([*APT_PACKAGES, "systemd-zram-generator"], own, None)
    assert not can_run_alongside([*APT_PACKAGES, "libpq-dev"], own, None)  # a plugin's package may be built against
    assert not can_run_alongside(list(APT_PACKAGES), own, "https://example.org/requirements.txt")


def test_both_run_at_the_same_time():
    both_running = threading.Barrier(2, timeout=5)  # each side waits for the other: only at once does it pass
    assert run_alongside(both_running.wait, lambda: (both_running.wait(), "done")[1]) == "done"


def test_when_the_python_side_fails_apt_still_finishes_and_the_python_error_is_raised():
    finished = []

    def apt():
        time.sleep(0.3)
        finished.append("apt")

    def python():
        raise TljhError("the user environment could not be installed", "see the log")

    with pytest.raises(TljhError, match="user environment"):
        run_alongside(apt, python)
    assert finished == ["apt"]  # dpkg is never left half-way


def test_an_apt_failure_is_raised_after_the_python_side_is_done(caplog):
    def apt():
        raise TljhError("apt could not install the packages", "see the log")

    done = []
    with pytest.raises(TljhError, match="apt could not"):
        run_alongside(apt, lambda: done.append("python"))
    assert done == ["python"]
