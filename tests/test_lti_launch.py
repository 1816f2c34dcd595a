"""LTI 1.3 launches: LMS roles to course roles, the claim that names her to a hub name, what
plugins learn about the course, refusals, and nonces used once."""

from __future__ import annotations

import pytest

from tljh_lite.auth.lti.claims import (
    CONTEXT_CLAIM, CUSTOM_CLAIM, RESOURCE_LINK_CLAIM, ROLES_CLAIM, TARGET_LINK_CLAIM, LaunchRefused, Policy,
    parse_role, read_launch,
)
from tljh_lite.auth.lti.replay import SeenNonces
from tljh_lite.auth.lti.usernames import hub_username
from tljh_lite.config.formats import FORMATS
from tljh_lite.unixname import unix_username

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
INSTRUCTOR = LIS + "membership#Instructor"
TA = LIS + "membership/Instructor#TeachingAssistant"
INSTITUTION_STUDENT = LIS + "institution/person#Student"
INSTITUTION_ADMIN = LIS + "institution/person#Administrator"
SYSTEM_ADMIN = LIS + "system/person#Administrator"
MENTOR = LIS + "membership#Mentor"


def claims(*roles: str, sub: str = "42", **extra) -> dict:
    return {"iss": "https://lms.example.edu", "aud": "tool-1", "sub": sub, ROLES_CLAIM: list(roles),
            CONTEXT_CLAIM: {"id": "c-101", "label": "DATA101", "title": "course A"},
            RESOURCE_LINK_CLAIM: {"id": "link-7", "title": "Week 1"}, **extra}


# What Canvas and Moodle send, from their docs and forums (docs/lms.md), and what it means here.
@pytest.mark.parametrize("roles, expected", [
    ([LEARNER], ("student",)),
    ([INSTRUCTOR], ("instructor",)),
    ([INSTRUCTOR, TA], ("grader",)),  # a TA comes with her principal role: she grades, she does not teach
    ([LIS + "membership#TeachingAssistant"], ("grader",)),
    ([LIS + "membership/Instructor#Grader"], ("grader",)),
    ([INSTITUTION_STUDENT, INSTRUCTOR, LIS + "system/person#User"], ("instructor",)),  # Canvas: a teacher
    ([INSTRUCTOR, LEARNER], ("instructor", "student")),
    (["Learner"], ("student",)),  # LTI 1.1 short names, which the spec allows
    (["urn:lti:role:ims/lis/Instructor"], ("instructor",)),
    ([LIS + "membership/Learner#NonCreditLearner"], ("student",)),
])
def test_lms_roles_in_the_course_map_onto_ours(roles, expected):
    launch = read_launch(claims(*roles), Policy())
    assert launch.roles == expected and launch.lms_admin is False


def test_institution_roles_alone_give_no_role_in_the_course():
    """Canvas lists every role she has anywhere at the institution: a student of some course who
    launches from one she is not in is not a student of it."""
    with pytest.raises(LaunchRefused, match=r"your role in this course \(none\) may not use this hub"):
        read_launch(claims(INSTITUTION_STUDENT, LIS + "institution/person#Instructor"), Policy())


def test_a_role_the_professor_did_not_allow_is_refused_with_its_name():
    with pytest.raises(LaunchRefused) as refused:
        read_launch(claims(MENTOR), Policy())
    assert refused.value.status == 403
    assert refused.value.message == ("LTI launch refused: your role in this course (Mentor) may not use this hub "
                                     "(allowed: Instructor, TeachingAssistant, Learner)")
    staff_only = Policy(allowed_roles=("Instructor", "TeachingAssistant"))
    with pytest.raises(LaunchRefused, match=r"\(Learner\) may not use this hub \(allowed: Instructor, TeachingAssistant\)"):
        read_launch(claims(LEARNER), staff_only)
    # Someone with an allowed role and another keeps only the allowed one.
    assert read_launch(claims(INSTRUCTOR, LEARNER), staff_only).roles == ("instructor",)


@pytest.mark.parametrize("admin_role", [INSTITUTION_ADMIN, SYSTEM_ADMIN, LIS + "membership#Administrator",
                                        "urn:lti:sysrole:ims/lis/SysAdmin"])
def test_an_lms_administrator_is_a_hub_admin_only_when_the_professor_says_so(admin_role):
    # Moodle's site admin launching from a course she teaches: Instructor plus Administrator.
    assert read_launch(claims(admin_role, INSTRUCTOR), Policy()).lms_admin is False
    on = Policy(lms_admins_are_hub_admins=True)
    assert read_launch(claims(admin_role, INSTRUCTOR), on).lms_admin is True
    # Not enrolled in the course at all: refused, unless she is let in as an admin.
    with pytest.raises(LaunchRefused):
        read_launch(claims(admin_role), Policy())
    launch = read_launch(claims(admin_role), on)
    assert launch.lms_admin is True and launch.roles == ()


def test_a_student_is_never_an_admin():
    assert read_launch(claims(LEARNER, INSTITUTION_STUDENT), Policy(lms_admins_are_hub_admins=True)).lms_admin is False


@pytest.mark.parametrize("key, extra, name", [
    ("sub", {}, "42"),
    ("email", {"email": "Ana@Uni.edu"}, hub_username("ana@uni.edu")),
    ("custom_username", {CUSTOM_CLAIM: {"username": "ajones"}}, "ajones"),
])
def test_the_username_comes_from_the_claim_the_professor_chose(key, extra, name):
    assert read_launch(claims(LEARNER, **extra), Policy(username_key=key)).username == name


@pytest.mark.parametrize("key, extra", [("email", {}), ("custom_username", {}), ("custom_username", {CUSTOM_CLAIM: {}}),
                                        ("email", {"email": "  "}), ("email", {"email": {"a": 1}})])
def test_a_launch_without_that_claim_is_refused_not_given_another_name(key, extra):
    """ltiauthenticator 1.6.3 falls back to `sub`: a user id could then equal another person's login."""
    with pytest.raises(LaunchRefused) as refused:
        read_launch(claims(LEARNER, **extra), Policy(username_key=key))
    assert refused.value.status == 400
    assert f"the LMS sent no '{key}' for you" in refused.value.message


@pytest.mark.parametrize("lms_name, expected", [
    ("42", "42"),  # Moodle's user ids
    ("jsmith", "jsmith"),
    ("a6d5c443-1f51-4783-ba1a-7686ffe3b54a", "a6d5c443-1f51-4783-ba1a-7686ffe3b54a"),  # Canvas's
    ("JSmith", "jsmith"),
])
def test_safe_lms_names_are_kept(lms_name, expected):
    assert hub_username(lms_name) == expected


@pytest.mark.parametrize("lms_name", ["ana@uni.edu", "Ana María", "o'brien", "ÄÖ", "-bob", "a.", "x" * 80,
                                      "../../etc", "bob smith", "ana,b", "zoë"])
def test_other_names_become_safe_names_that_never_collide(lms_name):
    name = hub_username(lms_name)
    check, _words = FORMATS["hub-username"]
    assert check(name) and name == name.lower()
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name), name
    assert name[0].isalnum() and len(unix_username(name)) <= 32
    assert hub_username(lms_name) == name  # the same person, the same account, every time
    assert hub_username(lms_name + "x") != name


def test_nobody_takes_another_name_by_choosing_her_hashed_form_as_login():
    """On an LMS where people choose their login, one who picks the name another was given gets
    a name of her own."""
    given = hub_username("ana@uni.edu")
    assert hub_username(given) != given


def test_an_empty_name_is_an_error():
    with pytest.raises(ValueError):
        hub_username("   ")


def test_plugins_learn_the_course_and_the_link():
    custom = {"assignment": "week1.ipynb"}
    launch = read_launch(claims(TA, INSTRUCTOR, azp="tool-1", **{CUSTOM_CLAIM: custom,
                                TARGET_LINK_CLAIM: "https://hub.example.edu/"}), Policy())
    assert launch.context == {
        "issuer": "https://lms.example.edu", "client_id": "tool-1", "deployment_id": None,
        "context_id": "c-101", "context_label": "DATA101", "context_title": "course A",
        "resource_link_id": "link-7", "resource_link_title": "Week 1", "target_link_uri": "https://hub.example.edu/",
        "custom": {"assignment": "week1.ipynb"}, "lms_roles": [TA, INSTRUCTOR], "message_type": None,
    }


def test_a_link_outside_a_course_has_no_course():
    bare = {"iss": "https://lms", "aud": ["tool-1", "other"], "azp": "tool-1", "sub": "9", ROLES_CLAIM: [INSTRUCTOR]}
    context = read_launch(bare, Policy()).context
    assert context["context_id"] is None and context["custom"] == {} and context["client_id"] == "tool-1"


@pytest.mark.parametrize("uri, scope, name, sub", [
    (TA, "context", "Instructor", "TeachingAssistant"),
    (INSTITUTION_ADMIN, "institution", "Administrator", None),
    ("urn:lti:instrole:ims/lis/Student", "institution", "Student", None),
    ("http://example.com/custom-role", None, None, None),
])
def test_role_uris(uri, scope, name, sub):
    role = parse_role(uri)
    assert (role.scope, role.name, role.sub) == (scope, name, sub) if scope else role is None


def test_a_nonce_is_accepted_once_while_its_launch_is_valid():
    now = [1000.0]
    seen = SeenNonces(clock=lambda: now[0])
    assert seen.first_use("n1", until=1300) is True
    assert seen.first_use("n1", until=1300) is False
    assert seen.first_use("n2", until=1300) is True
    now[0] = 2000.0  # the launch has expired: the token check refuses it anyway
    assert seen.first_use("n1", until=2300) is True


def test_the_memory_of_nonces_is_bounded_and_forgets_expired_ones_first():
    now = [1000.0]
    seen = SeenNonces(limit=3, clock=lambda: now[0])
    seen.first_use("old", until=1001)
    seen.first_use("a", until=5000)
    seen.first_use("b", until=5000)
    now[0] = 2000.0
    seen.first_use("c", until=5000)  # over the limit: the expired one goes
    assert len(seen) == 3 and seen.first_use("a", until=5000) is False
    seen.first_use("d", until=5000)  # flooded with valid ones: the oldest goes
    assert len(seen) == 3
