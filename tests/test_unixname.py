from tljh_lite.unixname import unix_username


def test_short_names_get_the_prefix():
    assert unix_username("alice") == "jupyter-alice"


def test_the_cut_off_is_tljhs():
    # Expected values are TLJH's own, so accounts made by TLJH keep their owners.
    assert unix_username("abcdefghijklmnopq") == "jupyter-abcdefghijklmnopq"
    assert unix_username("abcdefghijklmnopqr") == "jupyter-abcdefghijklmnopqr-e375e"
    assert (
        unix_username("aelie9sohjeequ9iemeipuimuoshahz4aitugiuteeg4ohioh5yuiha6aei7te5z")
        == "jupyter-aelie9sohjeequ9iem-4b726"
    )


def test_long_names_fit_32_characters_and_stay_distinct():
    a = unix_username("student.with.a.very.long.email@college.example.edu")
    b = unix_username("student.with.a.very.long.email@college.example.org")
    assert len(a) <= 32 and len(b) <= 32
    assert a != b
