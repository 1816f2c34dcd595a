"""Random sequences of tljh-config commands never leave a broken or half-written file.

After every command, either it succeeded and the file passes the schema, or
it failed (non-zero) and the file is byte-for-byte what it was.
"""

import contextlib
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from tljh_lite.cli.tljh_config import main
from tljh_lite.config.file import ConfigFile
from tljh_lite.config.rules import BUILT_IN_RULES
from tljh_lite.config.schema import build_schema
from tljh_lite.config.checker import Checker

CHECKER = Checker(build_schema(), BUILT_IN_RULES)

KEYS = [
    "base_url", "auth.type", "auth.DummyAuthenticator.password", "auth.lower.x", "users.allowed",
    "users.banned", "users.admin", "users.extra_user_groups.teachers", "users.extra_user_groups.Bad",
    "limits.memory", "limits.cpu", "limits", "limits.memroy", "user_environment.default_app", "http.port",
    "http.address", "https.enabled", "https.tls.key", "https.letsencrypt.domains", "https.letsencrypt.email",
    "services.cull.timeout", "services.cull.users", "services.cull.enabled", "bogus", "limits.memory.deeper",
    "a..b",
]
VALUES = [
    "none", "true", "False", "0", "1", "-1", "0.5", "512M", "1G", "1GB", "alice", "bob", "has space",
    "/", "/jupyter/", "jupyter", "classic", "nteract", "8080", "70000", "127.0.0.1", "hub.example.edu",
    "prof@example.edu", "/etc/k.pem", "dummy", "",
]

command = st.one_of(
    st.tuples(st.sampled_from(["set", "add-item", "remove-item"]), st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.tuples(st.just("unset"), st.sampled_from(KEYS)),
    st.tuples(st.sampled_from(KEYS), st.text(max_size=12)).map(lambda kv: ("set", *kv)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(command, min_size=1, max_size=12))
def test_every_command_leaves_a_valid_file_or_no_change(commands):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text("# the professor's notes\nusers:\n  admin:\n  - prof\n")
        for args in commands:
            before = path.read_bytes()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                try:
                    code = main(["--config-path", str(path), *args])
                except SystemExit as e:  # argparse refusing the words (e.g. a value like "-x")
                    code = e.code
            if code == 0:
                config = ConfigFile(path).load()
                assert CHECKER.schema_problems(config) == [], args
                assert path.read_text().startswith("# the professor's notes\n")
            else:
                assert code in (1, 2), args
                assert path.read_bytes() == before, args
