"""Groups in config.yaml: validated like every key, JupyterHub groups with per-group limits (the
largest wins), and members taken out of a group in config.yaml leaving the hub's group too."""

from __future__ import annotations

import copy
import sqlite3

import pytest

from tljh_lite.config import tree, yaml
from tljh_lite.config.defaults import merged
from tljh_lite.config.editor import Editor
from tljh_lite.hub.settings import hub_settings
from tljh_lite.errors import ConfigError
from tljh_lite.users.groups import group_overrides, limit_of, load_groups
from tljh_lite.users.hubgroups import remove_stale_members

GROUPS = {
    "groups": {
        "tas": {"users": ["tom", "tina"], "limits": {"memory": "4G", "cpu": 2}},
        "lab1": {"users": ["tom", "ann", "bob"], "limits": {"memory": "1.5G"}},
        "lab2": {"users": ["ann", "cat"], "limits": {"memory": "1536M", "cpu": 0.5}},
        "big": {"users": ["dan"], "limits": {"memory": None}},
        "readers": {"users": ["bob"]},
    },
    "limits": {"memory": "1G", "cpu": 1},
}


def spawn(config: dict, user_groups: set[str]) -> dict:
    """What JupyterHub's Spawner.apply_group_overrides leaves on a spawner (its algorithm, JupyterHub 6.1)."""
    settings = hub_settings(merged(config))
    traits = {"mem_limit": settings["Spawner"].get("mem_limit"), "cpu_limit": settings["Spawner"].get("cpu_limit")}
    if "disk" in config.get("limits", {}):  # UserCreatingSpawner's (hub/spawner.py), for the new account
        traits["disk_limit"] = settings.get("UserCreatingSpawner", {}).get("disk_limit")
    overrides = settings["Spawner"].get("group_overrides", {})
    for key in sorted(overrides):
        if user_groups & set(overrides[key]["groups"]):
            traits.update(overrides[key]["spawner_override"])
    return traits


@pytest.mark.parametrize("groups, memory, cpu", [
    (set(), "1G", 1.0),  # in no group: limits.*
    ({"tas"}, "4G", 2.0),
    ({"lab1"}, "1.5G", 1.0),  # a group without a cpu limit leaves limits.cpu
    ({"tas", "lab1"}, "4G", 2.0),  # the largest of each
    ({"lab1", "lab2"}, "1536M", 0.5),  # 1.5G == 1536M; a group's cpu (0.5) beats limits.cpu, smaller or not
    ({"lab2", "tas"}, "4G", 2.0),
    ({"big", "tas"}, None, 2.0),  # none: no limit, the largest of all
    ({"readers"}, "1G", 1.0),
])
def test_a_student_in_several_groups_gets_the_largest_limit_of_each_kind(groups, memory, cpu):
    traits = spawn(GROUPS, groups)
    assert traits == {"mem_limit": memory, "cpu_limit": cpu}


DISK = {
    "groups": {
        "big": {"users": ["bea", "tom"], "limits": {"disk": "10G"}},
        "bigger": {"users": ["tom"], "limits": {"disk": "10240M"}},
        "huge": {"users": ["hal"], "limits": {"disk": None}},
        "tiny": {"users": ["tim", "hal"], "limits": {"disk": "100M"}},
        "tas": {"users": ["tom"], "limits": {"memory": "4G"}},
    },
    "limits": {"disk": "2G"},
}


@pytest.mark.parametrize("name, groups, disk", [
    ("ann", set(), "2G"),  # in no group: limits.disk
    ("bea", {"big"}, "10G"),
    ("tom", {"big", "bigger", "tas"}, "10240M"),  # 10G == 10240M (sorted by name then); tas sets no disk
    ("hal", {"huge", "tiny"}, None),  # none: no limit, the largest
    ("tim", {"tiny"}, "100M"),  # smaller than the default, as for memory
])
def test_the_spawner_and_reload_give_a_student_the_same_disk_limit(name, groups, disk):
    """The spawner's disk_limit (what a new account gets) and limit_of (what reload sets) agree."""
    assert spawn(DISK, groups)["disk_limit"] == disk
    assert limit_of(merged(DISK), name, "disk") == disk
    assert limit_of(merged(DISK), name, "memory") == spawn(DISK, groups)["mem_limit"]


def test_a_group_limit_may_be_smaller_than_the_default():
    config = {"groups": {"guests": {"users": ["gus"], "limits": {"memory": "256M"}}}, "limits": {"memory": "1G"}}
    assert spawn(config, {"guests"})["mem_limit"] == "256M"


def test_groups_become_jupyterhub_groups_and_no_groups_set_nothing():
    settings = hub_settings(merged(GROUPS))
    assert settings["JupyterHub"]["load_groups"]["tas"] == {"users": ["tom", "tina"]}
    assert load_groups(merged(GROUPS))["readers"] == {"users": ["bob"]}
    assert "load_groups" not in hub_settings(merged({}))["JupyterHub"]
    assert group_overrides(merged({})) == {}


def test_override_keys_sort_each_limit_from_smallest_to_largest():
    keys = sorted(group_overrides(merged(GROUPS)))
    assert keys == ["cpu-0000-lab2", "cpu-0001-tas", "memory-0000-lab1", "memory-0001-lab2",
                    "memory-0002-tas", "memory-0003-big"]


# --- config.yaml: the groups section -------------------------------------------------


@pytest.mark.parametrize("config", [
    {"groups": {}},
    {"groups": {"tas": {"users": ["tom"]}}},
    {"groups": {"Lab-1.b_2": {"users": [], "limits": {"memory": "2G", "cpu": 1.5}}}},
    {"groups": {"big": {"limits": {"memory": None, "cpu": None}}}},
])
def test_valid_groups(checker, config):
    assert checker.problems(config) == []


@pytest.mark.parametrize("config, words", [
    ({"groups": {"bad name": {}}}, "groups has a key 'bad name' that is not a group name"),
    ({"groups": {"-x": {}}}, "that is not a group name"),
    ({"groups": {"tas": {"members": ["tom"]}}}, "unknown key groups.tas.members"),
    ({"groups": {"tas": {"users": "tom"}}}, "groups.tas.users must be a list of usernames, not 'tom'"),
    ({"groups": {"tas": {"users": ["a b"]}}}, "groups.tas.users[0] must be a username"),
    ({"groups": {"tas": {"limits": {"memory": "lots"}}}}, "groups.tas.limits.memory must be a memory size"),
    ({"groups": {"tas": {"limits": {"cpu": 0}}}}, "groups.tas.limits.cpu must be a positive number"),
    ({"groups": {"tas": {"limits": {"memroy": "1G"}}}}, "did you mean groups.tas.limits.memory?"),
    ({"groups": ["tas"]}, "groups must be a mapping of group names to their users and limits"),
])
def test_invalid_groups_are_named_in_one_line(checker, config, words):
    with pytest.raises(ConfigError) as raised:
        checker.check(config)
    assert words in raised.value.one_line()


def test_tljh_config_edits_groups_like_any_key(checker):
    editor = Editor(checker)
    config = yaml.loads("# my hub\n")
    config = editor.add_item(config, "groups.tas.users", "tom").config
    config = editor.set(config, "groups.tas.limits.memory", "4G").config
    config = editor.set(config, "groups.tas.limits.cpu", "2").config
    assert yaml.dumps(config) == "# my hub\ngroups:\n  tas:\n    users:\n    - tom\n    limits:\n      memory: 4G\n      cpu: 2\n"
    with pytest.raises(ConfigError, match="unknown key groups.tas.limits.memroy; did you mean groups.tas.limits.memory?"):
        editor.set(config, "groups.tas.limits.memroy", "4G")
    with pytest.raises(ConfigError, match="groups.tas is a section"):
        editor.set(config, "groups.tas", "x")


def test_update_list_adds_and_removes_many_at_once_without_mutating():
    config = yaml.loads("users:\n  allowed:\n  - alice  # first\n  - bob\n")
    before = copy.deepcopy(config)
    new = tree.update_list(config, ["users", "allowed"], add=["carl", "alice", "carl"], remove=["bob", "zed"])
    assert config == before
    assert yaml.dumps(new) == "users:\n  allowed:\n  - alice  # first\n  - carl\n"
    assert yaml.dumps(tree.update_list({}, ["groups", "tas", "users"], add=["tom"])) == "groups:\n  tas:\n    users:\n    - tom\n"
    with pytest.raises(ConfigError, match="limits.memory is not a list"):
        tree.update_list({"limits": {"memory": "1G"}}, ["limits", "memory"], add=["x"])


# --- the hub's groups follow config.yaml ------------------------------------------------


def hub_db(tmp_path, members: dict[str, list[str]]):
    """The tables of JupyterHub's database that groups use (jupyterhub/orm.py)."""
    path = tmp_path / "jupyterhub.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE);"
            "CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT UNIQUE, properties TEXT);"
            "CREATE TABLE user_group_map (user_id INTEGER, group_id INTEGER, PRIMARY KEY (user_id, group_id));"
        )
        for group, names in members.items():
            group_id = db.execute("INSERT INTO groups (name) VALUES (?)", (group,)).lastrowid
            for name in names:
                db.execute("INSERT OR IGNORE INTO users (name) VALUES (?)", (name,))
                (user_id,) = db.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
                db.execute("INSERT INTO user_group_map VALUES (?, ?)", (user_id, group_id))
    return path


def members(path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT g.name, u.name FROM groups g JOIN user_group_map m ON m.group_id = g.id "
                          "JOIN users u ON u.id = m.user_id").fetchall()
    found: dict[str, set[str]] = {}
    for group, name in rows:
        found.setdefault(group, set()).add(name)
    return found


def test_someone_taken_out_of_a_group_in_config_yaml_leaves_the_hubs_group(tmp_path):
    path = hub_db(tmp_path, {"tas": ["tom", "tina", "added-in-panel"], "lab1": ["ann"], "panel-only": ["zed"]})
    config = merged({"groups": {"tas": {"users": ["Tom"]}, "lab1": {"users": ["ann"]}}})
    assert remove_stale_members(config, path) == {"tas": {"tina", "added-in-panel"}}
    assert members(path) == {"tas": {"tom"}, "lab1": {"ann"}, "panel-only": {"zed"}}  # others' groups stay
    assert remove_stale_members(config, path) == {}


def test_no_database_or_a_foreign_one_changes_nothing(tmp_path):
    config = merged({"groups": {"tas": {"users": []}}})
    assert remove_stale_members(config, tmp_path / "missing.sqlite") == {}
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).close()
    assert remove_stale_members(config, foreign) == {}
