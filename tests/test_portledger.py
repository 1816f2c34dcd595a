"""Ports for students' servers (tljh_lite.hub.portledger): below the ephemeral range, free, never twice."""

from __future__ import annotations

import socket

import pytest

from tljh_lite.hub.portledger import REMEMBER_SECONDS, PortLedger, bindable, servers_range


def test_servers_get_ports_just_below_the_range_outgoing_connections_use(tmp_path):
    ephemeral = tmp_path / "ip_local_port_range"
    ephemeral.write_text("32768\t60999\n")
    assert servers_range(ephemeral) == range(24576, 32768)
    ephemeral.write_text("1024\t65535\n")
    assert servers_range(ephemeral) is None  # no room: the kernel's choice, still never twice
    assert servers_range(tmp_path / "missing") is None


def test_fifty_spawns_at_once_get_fifty_ports_none_handed_out_twice():
    now = [1000.0]
    ledger = PortLedger(range(24576, 24640), free=lambda port: True, clock=lambda: now[0])
    handed = [ledger.pick(lambda: 1 / 0) for _ in range(50)]  # 50 of only 64 ports
    assert len(set(handed)) == 50 and all(24576 <= p < 24640 for p in handed)
    now[0] += REMEMBER_SECONDS + 1
    assert len({ledger.pick(lambda: 1 / 0) for _ in range(50)}) == 50  # long since bound: free again


def test_a_port_something_holds_is_not_handed_out():
    with socket.socket() as held:
        held.bind(("", 0))
        port = held.getsockname()[1]
        assert not bindable(port)
        with pytest.raises(RuntimeError, match="no free port"):
            PortLedger(range(port, port + 1)).pick(lambda: 1 / 0)


def test_without_a_range_the_kernels_choice_is_taken_but_never_twice():
    offered = iter([40001, 40001, 40002])  # the kernel can offer one free port twice
    ledger = PortLedger(None)
    assert [ledger.pick(lambda: next(offered)) for _ in range(2)] == [40001, 40002]
