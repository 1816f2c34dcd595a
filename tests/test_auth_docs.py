"""docs/authentication.md: one section per method in a professor's order, and commands that work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tljh_lite.auth.kinds import kind_of

DOC = (Path(__file__).parent.parent / "docs" / "authentication.md").read_text()
SET_LINES = re.findall(r"sudo tljh-config set (\S+) (\S+)$", DOC, flags=re.M)


def test_one_section_per_method_in_the_order_a_professor_tries_them():
    order = ["FirstUse", "Native", "Tmp", "LDAP", "OAuth"]
    headings = [h for h in re.findall(r"^## (\w+)", DOC, flags=re.M) if h in order]
    assert headings == order
    assert "\n## Which JupyterHub, and why\n" in DOC


def test_every_auth_type_in_the_docs_is_one_we_know():
    types = [value for key, value in SET_LINES if key == "auth.type"]
    assert {kind_of(t) for t in types} >= {"firstuse", "native", "tmp"}
    assert "other" not in {kind_of(t) for t in types}


@pytest.mark.parametrize("key, value", SET_LINES)
def test_every_tljh_config_set_line_is_accepted(cli, key, value):
    result = cli("set", key, value)
    assert result.code == 0, result.err
