"""Where a launch sends her (this hub only), and what plugins' tljh_lite_lms_launch decide."""

from __future__ import annotations

import json

import pytest

from fakes import FakeEntryPoint, load_test_plugin, module
from tljh_lite.auth.lti.claims import Launch
from tljh_lite.auth.lti.landing import (
    LaunchPlan, ask_plugins, launch_landing, on_this_hub, plan_from_plugins, redirect_for,
)
from tljh_lite.errors import TljhError
from tljh_lite.plugins import plugin_manager

HOST = "hub.example.edu"


@pytest.mark.parametrize("url, expected", [
    ("/hub/user-redirect/lab/tree/week1.ipynb", "/hub/user-redirect/lab/tree/week1.ipynb"),
    ("https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgit.example.edu%2Fc&urlpath=lab",
     "/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgit.example.edu%2Fc&urlpath=lab"),
    ("https://HUB.example.edu/services/formgrader/", "/services/formgrader/"),
    ("https://evil.example.com/hub/", None),  # another site
    ("//evil.example.com/x", None),
    ("/hub/../../etc/passwd", None),
    ("/hub//x", None),
    ("/hub\\..\\x", None),
    ("javascript:alert(1)", None),
    ("/hub/lti13/oauth_login?iss=x", None),  # never the launch itself, in a loop
    ("week1.ipynb", None),  # relative: to what?
    ("/hub/x\r\nSet-Cookie: a=b", None),
    (None, None), (42, None), ("", None),
])
def test_only_paths_on_this_hub_are_followed(url, expected):
    assert on_this_hub(url, "/", HOST) == expected


def test_a_hub_under_a_prefix_keeps_to_it():
    assert on_this_hub("/jupyter/hub/user-redirect/lab", "/jupyter/", HOST) == "/jupyter/hub/user-redirect/lab"
    assert on_this_hub("/jupyter", "/jupyter/", HOST) == "/jupyter"
    assert on_this_hub("/other/hub/", "/jupyter/", HOST) is None


def test_the_launch_names_the_page_by_custom_next_then_its_target_link():
    target = "https://hub.example.edu/hub/user-redirect/git-pull?repo=r"
    both = {"custom": {"next": "/hub/user-redirect/lab/tree/a.ipynb"}, "target_link_uri": target}
    assert launch_landing(both, "/", HOST) == "/hub/user-redirect/lab/tree/a.ipynb"
    assert launch_landing({"custom": {}, "target_link_uri": target}, "/", HOST) == "/hub/user-redirect/git-pull?repo=r"
    # The tool's own address (a plain course link) names no page: her server.
    for plain in ("https://hub.example.edu/", "https://hub.example.edu/hub/", "https://hub.example.edu/hub"):
        assert launch_landing({"target_link_uri": plain}, "/", HOST) is None
    assert launch_landing({"target_link_uri": "https://evil.example.com/x"}, "/", HOST) is None


def test_her_server_starts_first_when_she_lands_in_it():
    assert redirect_for(None, "/") == "/hub/spawn"
    assert redirect_for("/hub/user-redirect/lab/tree/a b.ipynb", "/") == \
        "/hub/spawn?next=%2Fhub%2Fuser-redirect%2Flab%2Ftree%2Fa%20b.ipynb"
    assert redirect_for("/user/ana/lab", "/") == "/hub/spawn?next=%2Fuser%2Fana%2Flab"
    assert redirect_for("/services/formgrader/", "/") == "/services/formgrader/"  # no server for that
    assert redirect_for(None, "/jupyter/") == "/jupyter/hub/spawn"


def test_plugins_answers_first_named_page_wins_groups_add_up_bad_answers_are_named():
    plan, warnings = plan_from_plugins([
        ("quiet", None),
        ("courses", {"next": "/hub/user-redirect/lab/tree/w1.ipynb", "groups": ["data101-students"]}),
        ("other", "/hub/home"),
        ("helper", {"groups": ["data101-students", "lab-b", "not a group!"]}),
        ("broken", 42),
        ("wild", {"next": "https://evil.example.com/"}),
    ], "/")
    assert plan == LaunchPlan("/hub/user-redirect/lab/tree/w1.ipynb", ("data101-students", "lab-b"))
    assert warnings == [
        "plugin helper: 'not a group!' is not a group name; ignored",
        "plugin broken: tljh_lite_lms_launch returned int, not a path or a mapping; ignored",
    ]
    assert plan_from_plugins([("quiet", None)], "/") == (None, [])
    plan, warnings = plan_from_plugins([("wild", {"next": "https://evil.example.com/"})], "/")
    assert plan == LaunchPlan(None, ()) and "not a path under /" in warnings[0]


LAUNCH = Launch("ana", ("student",), False, {"context_title": "course A", "custom": {"assignment": "week1.ipynb"},
                                              "lms_roles": ["Learner"]})


def test_the_hook_gets_keywords_and_copies():
    seen = {}

    def tljh_lite_lms_launch(username, roles, context):
        seen.update(username=username, roles=roles, context=context)
        roles.append("instructor")  # a plugin mutating what it got changes nothing
        context["custom"]["assignment"] = "other"
        return None

    pm = plugin_manager([FakeEntryPoint("watcher", module("watcher", tljh_lite_lms_launch=tljh_lite_lms_launch))])
    assert ask_plugins(pm, LAUNCH, "/") == (None, [])
    assert seen["username"] == "ana" and seen["context"]["context_title"] == "course A"
    assert LAUNCH.roles == ("student",) and LAUNCH.context["custom"] == {"assignment": "week1.ipynb"}


def test_a_plugin_that_fails_is_named_and_the_others_still_answer():
    def broken(username, roles, context):
        raise KeyError("course")

    pm = plugin_manager([FakeEntryPoint("broken", module("broken", tljh_lite_lms_launch=broken)),
                         FakeEntryPoint("fine", module("fine", tljh_lite_lms_launch=lambda username, roles, context:
                                                       {"groups": ["g"]}))])
    plan, warnings = ask_plugins(pm, LAUNCH, "/")
    assert plan == LaunchPlan(None, ("g",))
    assert warnings == ["plugin broken: tljh_lite_lms_launch failed (KeyError: 'course'); she lands as if it had "
                        "not answered"]


def test_a_plugin_refuses_with_a_tljh_error():
    def closed(username, roles, context):
        raise TljhError("data101 is closed", "ask your teacher")

    pm = plugin_manager([FakeEntryPoint("closed", module("closed", tljh_lite_lms_launch=closed))])
    with pytest.raises(TljhError, match="data101 is closed"):
        ask_plugins(pm, LAUNCH, "/")


def test_the_test_plugin_records_puts_course_a_in_its_group_and_opens_the_assignment(tmp_path, monkeypatch):
    plugin = load_test_plugin()
    monkeypatch.setattr(plugin, "MARKERS", tmp_path)
    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", plugin)])
    plan, warnings = ask_plugins(pm, LAUNCH, "/")
    assert warnings == []
    assert plan == LaunchPlan("/hub/user-redirect/lab/tree/week1.ipynb", ("course-a-students",))
    assert json.loads((tmp_path / "lms-launch-ana.json").read_text())["roles"] == ["student"]
    elsewhere = Launch("bo", ("instructor",), False, {"context_title": "course B", "custom": {}})
    assert ask_plugins(pm, elsewhere, "/") == (None, [])
    closed = Launch("cy", ("student",), False, {"context_title": "closed course", "custom": {}})
    with pytest.raises(TljhError, match="closed course is closed"):
        ask_plugins(pm, closed, "/")


def test_a_launch_starting_in_a_frame_gets_the_check_page_once():
    from tljh_lite.auth.lti.framecheck import MARKER, frame_check_page, in_a_frame

    assert in_a_frame({"Sec-Fetch-Dest": "iframe"}, {"iss": [b"x"]})
    assert not in_a_frame({"Sec-Fetch-Dest": "iframe"}, {"iss": [b"x"], MARKER: [b"1"]})  # posted by the page
    assert not in_a_frame({"Sec-Fetch-Dest": "document"}, {"iss": [b"x"]})  # a tab of its own
    assert not in_a_frame({}, {})  # a browser that does not say: as before
    page = frame_check_page("/hub/lti13/oauth_login", {"iss": "https://lms", "lti_message_hint": '{"a": "<b>"}',
                                                       MARKER: "1"})
    assert '<input type="hidden" name="lti_message_hint" value="{&quot;a&quot;: &quot;&lt;b&gt;&quot;}">' in page
    assert page.count(f'name="{MARKER}"') == 1 and 'action="/hub/lti13/oauth_login"' in page
    assert "localStorage.setItem" in page and 'form.target = "_blank"' in page
