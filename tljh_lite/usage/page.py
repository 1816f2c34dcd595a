"""The report as an HTML page with plots (pygal, server-side SVG: no script, nothing fetched from anywhere).

Used by `tljh-lite report --html FILE` and by the admin page (service.py).
pygal is imported only when a page is drawn.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from pathlib import Path
from typing import Sequence

from ..files import atomic_write
from . import report as report_module

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; } td, th { padding: .25em .8em; border-bottom: 1px solid #ddd; text-align: left; }
.warn { color: #a30; font-weight: bold; } pre { background: #f6f6f6; padding: 1em; white-space: pre-wrap; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(30em, 1fr)); gap: 1em; }
"""


def _chart(kind: str, title: str, **options):
    import pygal

    # js=[]: pygal's tooltips would load a script from the internet; the plots work without it.
    return getattr(pygal, kind)(title=title, js=[], height=320, show_dots=False, x_label_rotation=20,
                                 legend_at_bottom=True, include_x_axis=True, **options)


def _when(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None)


MAX_POINTS = 300  # pygal writes markup for every point: a few hundred keep a page small


def thin(series: Sequence[tuple], most: int = MAX_POINTS) -> list[tuple]:
    """At most `most` points, each the peak of its run of rows (peaks are what sizing is about)."""
    if len(series) <= most:
        return list(series)
    step = -(-len(series) // most)
    out = []
    for start in range(0, len(series), step):
        chunk = series[start:start + step]
        out.append((chunk[0][0], *(max((v for v in column if v is not None), default=None)
                                   for column in list(zip(*chunk))[1:])))
    return out


def plots(series: Sequence[tuple], report: report_module.Report | None) -> list[str]:
    """SVG plots: students over time, memory, CPU, and memory per student (p50/p95)."""
    out = []
    series = thin(series)
    if series:
        fmt = (lambda d: d.strftime("%m-%d %H:%M"))
        people = _chart("DateTimeLine", "Students: servers running and students active (UTC)", x_value_formatter=fmt)
        people.add("servers running", [(_when(r[0]), r[1]) for r in series])
        people.add("students active", [(_when(r[0]), r[2]) for r in series])
        memory = _chart("DateTimeLine", "Memory of the students' servers, MiB", x_value_formatter=fmt, fill=True)
        memory.add("all servers", [(_when(r[0]), r[3]) for r in series])
        out += [people.render(is_unicode=True, disable_xml_declaration=True),
                memory.render(is_unicode=True, disable_xml_declaration=True)]
        if any(r[4] is not None for r in series):
            cpu = _chart("DateTimeLine", "CPU of the students' servers, cores", x_value_formatter=fmt,
                         value_formatter=lambda v: f"{v:.2f}")
            cpu.add("all servers", [(_when(r[0]), None if r[4] is None else r[4] / 60_000) for r in series])
            out.append(cpu.render(is_unicode=True, disable_xml_declaration=True))
    if report and not report.summary.empty and report.summary.students_seen:
        s = report.summary
        bars = _chart("Bar", "Memory per student, MiB")
        bars.x_labels = ["active", "idle"]
        bars.add("p50", [s.active_mib[0], s.idle_mib[0]])
        bars.add("p95", [s.active_mib[1], s.idle_mib[1]])
        out.append(bars.render(is_unicode=True, disable_xml_declaration=True))
    return out


def html_page(report: report_module.Report | None, since: str, series: Sequence[tuple],
              now_section: str = "", refresh: int | None = None) -> str:
    figures = html.escape(report_module.text(report, since))
    svgs = "".join(f"<div class=plot>{svg}</div>" for svg in plots(series, report))
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">{meta}<title>Hub usage (tljh-lite)</title>
<style>{STYLE}</style></head><body>
<h1>Hub usage</h1>
<p>Measured on this machine by tljh-lite's usage record, nothing sent anywhere. Drawn {stamp}.</p>
{now_section}
<h2>Report, last {html.escape(since)}</h2>
<pre id="report">{figures}</pre>
<h2>Plots</h2>
<div class="plots">{svgs or "<p>No data yet to plot.</p>"}</div>
</body></html>
"""


def write_html(report: report_module.Report | None, since: str, series: Sequence[tuple], target: Path) -> None:
    """`tljh-lite report --html FILE`."""
    atomic_write(target, html_page(report, since, series), 0o644)
