"""Know what the hub costs and how it is doing, on the shared `hub` with two students working:
`tljh-lite status` (text and JSON), the usage record written every minute by its timer,
`tljh-lite report` on what it recorded, the admins' page at /services/usage/ (403 for a
student), and the page in Chromium. The record needs two minutes of samples: its test
comes after the others, so they run while the timer works; the browser's test comes last.
"""

from __future__ import annotations

import json
import re
import tempfile
import time

import pytest
from playwright.sync_api import sync_playwright

from browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub

STUDENTS = {"usa": "usa-first-password", "usb": "usb-first-password"}
RECORD = "/opt/tljh/state/usage.sqlite"
PY = "/opt/tljh/hub/bin/python3"


@pytest.fixture(scope="module")
def working_class(hub: InstalledHub):
    """Two students with running servers, one running code; a VM price; put back at the end."""
    started = time.time()
    for name in STUDENTS:
        hub.tljh_config("add-item", "users.allowed", name)
    hub.tljh_config("set", "cost.vm_monthly", "40")
    hub.tljh_config("reload")
    clients = {name: hub.logged_in(name, password) for name, password in STUDENTS.items()}
    for client in clients.values():
        client.start_server()
    assert clients["usa"].run_code("print(sum(i * i for i in range(3_000_000)))").strip() == "8999995500000500000"
    yield {"started": started, **clients}
    for name in STUDENTS:
        hub.tljh_config("remove-item", "users.allowed", name)
    hub.tljh_config("unset", "cost.vm_monthly")
    hub.tljh_config("reload")


def test_status_shows_the_services_and_both_students_servers(hub, working_class):
    result = hub.sh("tljh-lite status", check=False)
    text = result.stdout
    assert re.match(r"tljh-lite \S+, JupyterHub \d", text), text
    for name in ("jupyterhub.service", "configurable-http-proxy.service", "tljh-usage.timer", "tljh-cull-idle.timer",
                 "tljh-usage-page.socket"):
        line = next((row.strip() for row in text.splitlines() if row.strip().startswith(name + " ")), "")
        assert line[len(name):].split()[:2] == ["active", "up"], f"{name} is not active:\n{text}"
    rows = {row.split()[0]: row for row in text.splitlines() if row.startswith("  us")}
    assert {"usa", "usb"} <= set(rows) and "MiB" in rows["usa"]
    assert "disk    /home:" in text and "disk    /opt/tljh:" in text and "Last backup: none yet" in text
    problems = [row for row in text.splitlines() if row.startswith("Needs you:")]
    assert result.exit_code == (1 if problems else 0)
    # The machine is shared with other tests: only its memory or disks may need attention, never the hub.
    assert all(p.startswith(("Needs you: memory pressure", "Needs you: disk")) for p in problems), problems


def test_status_json_gives_the_same_for_monitoring(hub, working_class):
    status = json.loads(hub.sh("tljh-lite status --json", check=False).stdout)
    servers = {s["user"]: s for s in status["servers"]}
    assert servers["usa"]["memory"] > 20 * 2**20 and servers["usa"]["memory_peak"] >= servers["usa"]["memory"]
    assert servers["usa"]["cpu_seconds"] > 1 and servers["usa"]["idle"] is not None
    services = {s["name"]: s for s in status["services"]}
    assert services["jupyterhub.service"]["state"] == "active" and services["jupyterhub.service"]["uptime"] > 0
    assert services["tljh-usage-page.socket"]["state"] == "active"
    assert status["versions"]["tljh-lite"] and status["machine"]["cpus"] >= 1


def test_a_failed_unit_is_named_and_status_exits_1(hub, working_class):
    hub.sh("systemctl stop tljh-usage.timer")
    try:
        result = hub.sh("tljh-lite status", check=False)
    finally:
        hub.sh("systemctl start tljh-usage.timer")
    assert result.exit_code == 1
    assert "Needs you: tljh-usage.timer is inactive; see: sudo systemctl status tljh-usage.timer" in result.stdout


def test_a_bad_price_is_refused_in_one_line(hub, working_class):
    result = hub.tljh_config("set", "cost.vm_monthly", "$40", check=False)
    assert result.exit_code != 0
    (line,) = result.stderr.strip().splitlines()
    assert "cost.vm_monthly" in line
    assert "vm_monthly: 40" in hub.tljh_config("show").stdout


def test_the_usage_page_starts_when_asked_for_is_for_admins_and_a_student_gets_403(hub, working_class):
    # Nothing runs for it until someone asks: systemd holds its socket (docs/status.md).
    hub.sh("systemctl stop tljh-usage-page.service")
    assert hub.unit_property("tljh-usage-page.service", "ActiveState") == "inactive"
    assert hub.unit_property("tljh-usage-page.socket", "ActiveState") == "active"
    admin = hub.admin()
    page = admin.get("services/usage/")
    assert page.status_code == 200 and "Hub usage" in page.text and 'id="report"' in page.text
    assert page.url.endswith("/services/usage/")
    assert hub.unit_property("tljh-usage-page.service", "ActiveState") == "active"
    # Its token reaches it as a credential: not in its unit file, its environment or its command line.
    token = hub.sh("cat /opt/tljh/state/usage-page-token").stdout.strip()
    pid = hub.unit_property("tljh-usage-page.service", "MainPID")
    seen = hub.sh(f"cat /etc/systemd/system/tljh-usage-page.service /proc/{pid}/environ /proc/{pid}/cmdline").stdout
    assert len(token) >= 32 and token not in seen
    refused = working_class["usb"].get("services/usage/")
    assert refused.status_code == 403 and "Hub usage" not in refused.text
    # From a student's terminal: straight to the page's port on 127.0.0.1, no page without the hub's
    # OAuth; and the record itself is root's.
    raw = working_class["usb"].run_in_terminal(
        "curl -s -o /dev/null -w 'code=%{http_code}' http://127.0.0.1:15004/services/usage/; "
        f"echo readable-$(test -r {RECORD} && echo yes || echo no)")
    assert ("code=302" in raw or "code=403" in raw) and "code=200" not in raw, raw
    assert "readable-no" in raw and "readable-yes" not in raw, raw


def samples_of(hub: InstalledHub, since: float) -> dict:
    code = (
        "import json, os, sqlite3, sys\n"
        f"os.path.exists('{RECORD}') or sys.exit(print('[]'))  # before the timer's first minute\n"
        f"db = sqlite3.connect('file:{RECORD}?mode=ro', uri=True)\n"
        "rows = db.execute('SELECT t, name, mem_kib, active FROM server_minute JOIN users ON users.id = uid "
        f"WHERE t >= {int(since) - 60}').fetchall()\n"
        "print(json.dumps(rows))\n"
    )
    rows = json.loads(hub.sh([PY, "-c", code]).stdout)
    minutes = {}
    for t, name, mem, active in rows:
        minutes.setdefault(t, {})[name] = (mem, active)
    return minutes


def test_the_sampler_has_recorded_both_students_every_minute_and_the_report_uses_it(hub, working_class):
    deadline = working_class["started"] + 180
    while True:
        minutes = {t: who for t, who in samples_of(hub, working_class["started"]).items() if {"usa", "usb"} <= set(who)}
        if len(minutes) >= 2 or time.time() > deadline:
            break
        time.sleep(5)
    assert len(minutes) >= 2, f"the timer recorded {len(minutes)} minutes with both students"
    assert all(who["usa"][0] > 20 * 1024 for who in minutes.values())  # KiB
    assert hub.sh(f"stat -c %a {RECORD}").stdout.strip() == "600"
    assert hub.unit_property("tljh-usage.timer", "ActiveState") == "active"

    report = json.loads(hub.sh("tljh-lite report --since 1h --json").stdout)
    summary = report["summary"]
    assert summary["peak_running"] >= 2 and summary["students_seen"] >= 2 and summary["peak_active"] >= 1
    assert report["plan"]["limit_memory"].endswith(("M", "G")) and report["plan"]["vm_memory_gib"] >= 1
    assert report["vm_monthly"] == 40 and report["cost_per_student_month"] > 0
    text = hub.sh("tljh-lite report --since 1h --html /root/usage.html").stdout
    assert "Peak at once:" in text and "Cost per student-month:" in text and "VM to rent:" in text
    page = hub.sh("cat /root/usage.html").stdout
    # Self-contained: pygal's scripts from the internet are left out (only its inline settings stay).
    assert page.count("<svg") >= 2 and "<script src" not in page and "kozea.github.io" not in page


def test_the_usage_page_in_chromium(hub, release, working_class):
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"usage-page-{release}.png"
    with tempfile.TemporaryDirectory() as home, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={"HOME": home})
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(hub.url + "hub/login?next=/services/usage/")
            page.fill("input[name=username]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.press("input[name=password]", "Enter")
            page.wait_for_url("**/services/usage/", timeout=60_000)
            page.wait_for_selector("#servers", timeout=30_000)
            students = page.locator("#servers td:first-child").all_inner_texts()
            report = page.locator("#report").inner_text()
            plots = page.locator(".plot svg").count()
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert {"usa", "usb"} <= set(students)  # live, from systemd
    # After the sampler's test: the record holds both students.
    assert int(page_number(report, "Students seen:")) >= 2 and "Cost per student-month: " in report
    assert plots >= 2
    assert screenshot.stat().st_size > 10_000


def page_number(report: str, label: str) -> str:
    line = next(line for line in report.splitlines() if line.startswith(label))
    return line.split(":", 1)[1].split()[0]
