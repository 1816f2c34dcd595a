"""Schema-aware edits: what set/unset/add-item/remove-item accept and refuse."""

import pytest

from tljh_lite.config import yaml
from tljh_lite.config.editor import Editor
from tljh_lite.errors import ConfigError


@pytest.fixture
def editor(checker):
    return Editor(checker)


def test_set_parses_values_for_the_key(editor):
    assert editor.set({}, "limits.cpu", "0.5").config["limits"]["cpu"] == 0.5
    assert editor.set({}, "limits.memory", "none").config["limits"]["memory"] is None
    assert editor.set({}, "https.enabled", "True").config["https"]["enabled"] is True
    assert editor.set({}, "http.port", "8080").config["http"]["port"] == 8080


def test_a_key_taking_only_text_keeps_numbers_as_text(editor):
    change = editor.add_item({}, "users.allowed", "2024")
    assert change.config["users"]["allowed"] == ["2024"]
    assert editor.set({}, "base_url", "/x/").config["base_url"] == "/x/"
    assert editor.set({}, "https.letsencrypt.email", "1@2.io").config["https"]["letsencrypt"]["email"] == "1@2.io"


def test_unknown_key_gets_did_you_mean(editor):
    with pytest.raises(ConfigError) as raised:
        editor.set({}, "limits.memroy", "1G")
    assert raised.value.one_line() == "unknown key limits.memroy; did you mean limits.memory?"
    with pytest.raises(ConfigError, match="did you mean users.allowed"):
        editor.add_item({}, "user.allowed", "x")


def test_set_on_a_list_says_use_add_item(editor):
    with pytest.raises(ConfigError) as raised:
        editor.set({}, "https.letsencrypt.domains", "example.org")
    assert "use: tljh-config add-item https.letsencrypt.domains example.org" in raised.value.one_line()


def test_set_on_a_section_names_its_keys(editor):
    with pytest.raises(ConfigError, match="set one of its keys: limits.memory, limits.cpu"):
        editor.set({}, "limits", "1G")


def test_wrong_type_names_key_expected_and_given(editor):
    with pytest.raises(ConfigError) as raised:
        editor.set({}, "limits.memory", "lots")
    assert raised.value.one_line() == "limits.memory must be a memory size like 512M or 1G, or none, not 'lots'"


def test_add_item_on_a_single_value_says_use_set(editor):
    with pytest.raises(ConfigError, match="limits.memory is not a list.*use: tljh-config set limits.memory"):
        editor.add_item({}, "limits.memory", "1G")


def test_remove_item_absent_says_so(editor):
    with pytest.raises(ConfigError, match="'bob' is not in users.allowed; it has: alice"):
        editor.remove_item({"users": {"allowed": ["alice"]}}, "users.allowed", "bob")


def test_remove_item_finds_text_that_looks_like_a_number(editor):
    change = editor.remove_item({"auth": {"X": {"ids": ["7", 8]}}}, "auth.X.ids", "7")
    assert change.config["auth"]["X"]["ids"] == [8]


def test_no_change_is_reported_and_not_a_change(editor):
    config = {"limits": {"memory": "1G"}, "users": {"allowed": ["alice"]}}
    assert editor.set(config, "limits.memory", "1G").changed is False
    assert editor.add_item(config, "users.allowed", "alice").changed is False
    assert editor.unset(config, "limits.cpu").changed is False


def test_true_and_1_are_different_values(editor):
    config = {"auth": {"X": {"flag": 1}}}
    assert editor.set(config, "auth.X.flag", "true").changed is True


def test_authenticator_settings_are_free_form(editor):
    change = editor.set({}, "auth.GitHubOAuthenticator.client_id", "abc")
    assert change.config == {"auth": {"GitHubOAuthenticator": {"client_id": "abc"}}}
    change = editor.add_item(change.config, "auth.GitHubOAuthenticator.allowed_organizations", "my-org")
    assert change.config["auth"]["GitHubOAuthenticator"]["allowed_organizations"] == ["my-org"]


def test_extra_user_groups_take_add_item(editor):
    change = editor.add_item({}, "users.extra_user_groups.teachers", "prof")
    assert change.config["users"]["extra_user_groups"] == {"teachers": ["prof"]}
    with pytest.raises(ConfigError, match="not a unix group name"):
        editor.add_item({}, "users.extra_user_groups.Bad", "prof")


def test_cross_key_rules_warn_during_edits_so_tutorial_order_works(editor):
    # TLJH's HTTPS tutorial enables HTTPS before naming the domain.
    change = editor.set({}, "https.enabled", "true")
    assert change.changed
    assert any("no certificate is configured" in w for w in change.warnings)
    change = editor.set(change.config, "https.letsencrypt.email", "p@college.edu")
    change = editor.add_item(change.config, "https.letsencrypt.domains", "hub.college.edu")
    assert change.warnings == []


def test_an_invalid_file_can_be_repaired_one_key_at_a_time(editor):
    broken = yaml.loads("limits:\n  cpu: lots\n  memory: 1GB\n")
    change = editor.set(broken, "limits.cpu", "1")
    assert change.config["limits"]["cpu"] == 1
    assert any("limits.memory" in w for w in change.warnings)
    change = editor.unset(change.config, "limits.memory")
    assert change.warnings == []


def test_an_edit_that_adds_a_problem_to_an_invalid_file_is_refused(editor):
    broken = {"limits": {"cpu": "lots"}}
    with pytest.raises(ConfigError, match="limits.memory must be"):
        editor.set(broken, "limits.memory", "huge")
