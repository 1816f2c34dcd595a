"""The pure edit functions: right result, input never mutated, comments kept."""

import copy

import pytest

from tljh_lite.config import tree, yaml
from tljh_lite.errors import ConfigError

COMMENTED = """\
# Course hub for DATA 101
users:
  admin:
  - prof  # the instructor
  allowed:
  - alice
limits:
  memory: 1G  # enough for pandas
"""

EDITS = [
    (tree.set_item, (["limits", "cpu"], 2)),
    (tree.set_item, (["base_url"], "/x/")),
    (tree.unset_item, (["limits", "memory"],)),
    (tree.add_item, (["users", "allowed"], "bob")),
    (tree.add_item, (["users", "banned"], "eve")),
    (tree.remove_item, (["users", "allowed"], "alice")),
]


@pytest.mark.parametrize("function, args", EDITS, ids=lambda x: getattr(x, "__name__", str(x)))
def test_edits_do_not_mutate_their_input(function, args):
    config = yaml.loads(COMMENTED)
    before_text = yaml.dumps(config)
    before = copy.deepcopy(config)
    new = function(config, *args)
    assert new is not config
    assert config == before
    assert yaml.dumps(config) == before_text


@pytest.mark.parametrize("function, args", EDITS, ids=lambda x: getattr(x, "__name__", str(x)))
def test_edits_keep_comments(function, args):
    text = yaml.dumps(function(yaml.loads(COMMENTED), *args))
    assert "# Course hub for DATA 101" in text
    assert "# the instructor" in text or function is tree.remove_item


def test_set_creates_missing_sections_and_keeps_order():
    new = tree.set_item(yaml.loads(COMMENTED), ["https", "letsencrypt", "email"], "p@x.edu")
    assert list(new) == ["users", "limits", "https"]
    assert new["https"]["letsencrypt"]["email"] == "p@x.edu"


def test_set_below_a_single_value_is_refused():
    with pytest.raises(ConfigError, match="limits.memory holds a single value"):
        tree.set_item(yaml.loads(COMMENTED), ["limits", "memory", "x"], 1)


def test_unset_removes_emptied_sections():
    config = yaml.loads("limits:\n  memory: 1G\nbase_url: /\n")
    assert yaml.dumps(tree.unset_item(config, ["limits", "memory"])) == "base_url: /\n"


def test_unset_of_absent_key_is_an_error():
    with pytest.raises(ConfigError, match="limits.cpu is not set"):
        tree.unset_item(yaml.loads(COMMENTED), ["limits", "cpu"])


def test_add_item_appends_and_creates_lists():
    config = yaml.loads(COMMENTED)
    assert tree.add_item(config, ["users", "allowed"], "bob")["users"]["allowed"] == ["alice", "bob"]
    assert tree.add_item(config, ["users", "extra_user_groups", "ta"], "bob")["users"]["extra_user_groups"] == {
        "ta": ["bob"]
    }


def test_add_item_to_a_single_value_is_refused():
    with pytest.raises(ConfigError, match="limits.memory is not a list"):
        tree.add_item(yaml.loads(COMMENTED), ["limits", "memory"], "x")


def test_remove_item_says_what_the_list_has():
    with pytest.raises(ConfigError) as raised:
        tree.remove_item(yaml.loads(COMMENTED), ["users", "allowed"], "zed")
    assert raised.value.one_line() == "'zed' is not in users.allowed; it has: alice"
    with pytest.raises(ConfigError, match="users.banned is empty"):
        tree.remove_item(yaml.loads(COMMENTED), ["users", "banned"], "zed")


def test_edits_accept_plain_dicts():
    new = tree.add_item({"users": {"allowed": ["a"]}}, ["users", "allowed"], "b")
    assert new["users"]["allowed"] == ["a", "b"]
