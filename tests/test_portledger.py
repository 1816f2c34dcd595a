"""No two starting servers get one port (tljh_lite.hub.portledger)."""

from __future__ import annotations

from tljh_lite.hub.portledger import REMEMBER_SECONDS, PortLedger


def test_a_port_handed_out_lately_is_never_handed_out_again():
    now = [1000.0]
    ledger = PortLedger(clock=lambda: now[0])
    offered = iter([40001, 40001, 40002])  # the kernel offers the same free port twice, as it can
    assert ledger.distinct(40001, lambda: next(offered)) == 40001
    assert ledger.distinct(40001, lambda: next(offered)) == 40002  # skipped both offers of 40001
    now[0] += REMEMBER_SECONDS + 1
    assert ledger.distinct(40001, lambda: 1 / 0) == 40001  # long since bound or given up: free again


def test_fifty_spawns_at_once_get_fifty_ports_even_from_a_kernel_that_repeats_itself():
    ledger = PortLedger()
    ports = [40000 + i // 2 for i in range(100)]  # every port offered twice in a row
    pool = iter(ports)
    handed = [ledger.distinct(next(pool), lambda: next(pool)) for _ in range(50)]
    assert len(set(handed)) == 50
