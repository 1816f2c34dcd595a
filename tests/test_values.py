import pytest

from tljh_lite.config.values import parse_key, parse_value
from tljh_lite.errors import ConfigError


@pytest.mark.parametrize(
    "text, value",
    [
        ("none", None),
        ("None", None),
        ("NONE", None),
        ("0", 0),
        ("42", 42),
        ("-1", -1),
        ("+3", 3),
        ("0.5", 0.5),
        ("-0.5", -0.5),
        ("2.", 2.0),
        (".25", 0.25),
        ("true", True),
        ("True", True),
        ("FALSE", False),
        ("512M", "512M"),
        ("alice", "alice"),
        ("1_000", "1_000"),  # int() would accept it; TLJH would not
        ("1e3", "1e3"),
        ("", ""),
        ("-", "-"),
    ],
)
def test_parse_value_follows_tljh_with_signed_numbers(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_parse_key_splits_on_dots():
    assert parse_key("limits.memory") == ["limits", "memory"]
    assert parse_key("base_url") == ["base_url"]


@pytest.mark.parametrize("key", ["", ".", "limits.", ".memory", "a..b"])
def test_parse_key_rejects_empty_parts(key):
    with pytest.raises(ConfigError, match="is not a config key"):
        parse_key(key)
