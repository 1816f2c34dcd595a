"""A launch that starts inside the LMS's page: it goes on there if the browser lets the hub keep
data in that frame, else one click opens it in a tab of its own.

Inside Canvas's or Moodle's page the hub is a third party, and browsers now deny
a third party's frame its cookies and its storage (Chromium 156 does, by
default): the launch's own cookies would not come back, and JupyterLab, which
keeps its state in the browser's localStorage, would reload itself forever.
So a login initiation that arrives in a frame (the browser says so:
`Sec-Fetch-Dest: iframe`) gets this page first. Its script tries localStorage:
when the browser allows it, the page posts the same initiation in the frame
at once; when not, it shows a button that posts it to a new tab, where the
launch goes through the LMS again as a first party.

The fields are the LMS's own (iss, login_hint, lti_message_hint, ...), posted
back unchanged: the LMS still decides who she is, in the new tab too.
"""

from __future__ import annotations

import html
from typing import Mapping

MARKER = "tljh_frame_checked"  # posted with the fields: this page is not shown twice
BUTTON = "Open JupyterHub in a new tab"


def in_a_frame(headers: Mapping[str, str], arguments: Mapping[str, object]) -> bool:
    """Whether a login initiation should get the page: it came in a frame, and not from the page."""
    return headers.get("Sec-Fetch-Dest", "").lower() == "iframe" and MARKER not in arguments


def frame_check_page(action: str, fields: Mapping[str, str]) -> str:
    """The page, posting `fields` (and the marker) to `action`."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
                     for name, value in fields.items() if name != MARKER)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>JupyterHub</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} button {{ font-size: 1.2em; padding: 0.5em 1em; }}</style>
</head><body>
<form id="launch" method="post" action="{html.escape(action)}">{inputs}
<input type="hidden" name="{MARKER}" value="1">
<p id="blocked" hidden>Your browser does not let JupyterHub keep its data inside this page.</p>
<button id="open" type="submit" hidden>{BUTTON}</button>
</form>
<script>
var form = document.getElementById("launch");
var here = true;
try {{ localStorage.setItem("tljh-lite-probe", "1"); localStorage.removeItem("tljh-lite-probe"); }}
catch (e) {{ here = false; }}
if (here) {{ form.submit(); }}
else {{ form.target = "_blank"; document.getElementById("blocked").hidden = false; document.getElementById("open").hidden = false; }}
</script>
</body></html>
"""
