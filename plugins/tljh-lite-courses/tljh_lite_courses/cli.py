"""`tljh-lite course create|list|add|drop|grades|remove` (added through tljh_lite_cli_commands).

Parses and prints; operations.py and gradebook.py do the work. Imports of the
work are inside the commands, so `tljh-lite --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

from tljh_lite.cli.framework import add_group

from .model import ROLES


def add_parsers(commands, common) -> None:
    actions = add_group(
        commands, common, "course", help="courses with nbgrader: create, people, grades (docs/courses.md)",
        description="Courses with nbgrader: each has instructors and graders who open its formgrader, students who "
        "fetch and submit assignments in JupyterLab's Assignments tab, and a gradebook. See docs/courses.md.",
    )
    create = actions.add_parser(
        "create", parents=[common], help="a new course: its grader account, formgrader, exchange and gradebook",
        description="Create course NAME with its instructors (and graders): nbgrader is installed into the "
        "students' environment if it is not there, the course's folders and formgrader are made, and the hub "
        "reloads. Students: sudo tljh-lite course add NAME STUDENT, or the groups column of a roster.",
    )
    create.add_argument("name", metavar="NAME", help="the course's name, e.g. data101")
    create.add_argument("--instructor", action="append", required=True, metavar="USER", help="repeatable")
    create.add_argument("--grader", action="append", default=[], metavar="USER", help="repeatable")
    create.add_argument("--title", help="the course's title (shown on the hub's Services menu)")
    create.set_defaults(run=run_create)
    listing = actions.add_parser("list", parents=[common], help="each course: people, assignments, submissions waiting")
    listing.set_defaults(run=run_list)
    for verb, words in (("add", "put USER into course NAME"), ("drop", "take USER out of course NAME (her "
                                                                      "submissions and grades stay)")):
        parser = actions.add_parser(verb, parents=[common], help=words, description=words.capitalize() + " (no hub "
                                    "restart: her groups change at once, her account's at her next server start).")
        parser.add_argument("name", metavar="NAME")
        parser.add_argument("person", metavar="USER")
        parser.add_argument("--role", choices=ROLES, default="student" if verb == "add" else None)
        parser.set_defaults(run=run_add if verb == "add" else run_drop)
    grades = actions.add_parser("grades", parents=[common], help="one row per student: scores, total, late ones",
                                description="Write the grades of course NAME as CSV: one row per student, a column "
                                "per assignment, the total, the maximum and the assignments submitted late.")
    grades.add_argument("name", metavar="NAME")
    grades.add_argument("--csv", type=Path, required=True, metavar="FILE", help="written atomically, 0600; - for stdout")
    grades.set_defaults(run=run_grades)
    remove = actions.add_parser(
        "remove", parents=[common], help="take the course off the hub; its gradebook and submissions are archived",
        description="Remove course NAME from the hub: its formgrader and groups go, and its folder (gradebook, "
        "submissions, feedback) and exchange move to /srv/nbgrader/archive, which every backup holds.",
    )
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(run=run_remove)


def run_create(context, args) -> int:
    from tljh_lite.runner import Runner

    from .operations import create

    context.require_installed_hub("course create changes")
    made = create(context.paths, context.checker, Runner(), args.name, args.instructor, args.grader, args.title,
                  _reloader(context), _say)
    print(f"Course {made.name} is ready: instructors and graders open its formgrader at /services/{made.name}/ "
          f"(the hub's Services menu).")
    print(f"Next: add students with sudo tljh-lite course add {made.name} STUDENT (they see its assignments in "
          "JupyterLab's Assignments tab once their server restarts).")
    return 0


def run_list(context, args) -> int:
    from tljh_lite.runner import Runner
    from tljh_lite.systemd import Systemd

    from .gradebook import read
    from .model import courses

    config = context.checked_config()
    found = courses(config)
    if not found:
        print("No courses. Make one: sudo tljh-lite course create NAME --instructor USER")
        return 0
    systemd = Systemd(Runner())
    for each in found:
        book = read(Runner(), context.paths, each)
        state = systemd.property(each.unit, "ActiveState") or "not installed"
        print(f"{each.name} ({each.title}): formgrader /services/{each.name}/ ({each.unit}: {state})")
        print(f"  instructors: {', '.join(each.instructors) or 'none'}; graders: {', '.join(each.graders) or 'none'}")
        print(f"  students ({len(each.students)}): {', '.join(each.students) or 'none'}")
        if each.lms_contexts:
            print(f"  launches from the LMS courses {', '.join(each.lms_contexts)} put people in (lms_contexts)")
        assignments = ", ".join(a["name"] for a in book.assignments) or "none"
        waiting = ", ".join(f"{a}: {n}" for a, n in sorted(book.waiting.items())) or "none"
        print(f"  assignments: {assignments}; submissions waiting to be collected: {waiting}")
    return 0


def run_add(context, args) -> int:
    return _membership(context, args, adding=True)


def run_drop(context, args) -> int:
    return _membership(context, args, adding=False)


def _membership(context, args, adding: bool) -> int:
    from .operations import change_membership

    context.require_installed_hub(f"course {'add' if adding else 'drop'} changes")
    changed, waiting = change_membership(context.paths, context.checker, args.name, args.person, args.role, adding)
    person, where = args.person.lower(), args.name
    if not changed:
        print(f"Nothing to change: {person} {'is' if adding else 'is not'} in {where}"
              f"{' as ' + args.role if args.role else ''}.")
        return 0
    if adding:
        now = ("the course is in her Assignments tab now" if args.role == "student" else
               f"she may open its formgrader now (/services/{where}/)")
        print(f"{person} is now a{'n' if args.role == 'instructor' else ''} {args.role} of {where}: {now}; its "
              "folders open to her at her next server start.")
    else:
        print(f"{person} left {where}: she gets no new assignments; her submissions and grades are kept.")
    if waiting:
        print(f"Her hub groups change at the hub's next start ({waiting}): sudo tljh-config reload")
    return 0


def run_grades(context, args) -> int:
    from tljh_lite.runner import Runner

    from .gradebook import csv_text, read, write_csv
    from .model import course

    config = context.checked_config()
    chosen = course(config, args.name)
    book = read(Runner(), context.paths, chosen)
    if str(args.csv) == "-":
        print(csv_text(chosen, book), end="")
        return 0
    count = write_csv(args.csv, chosen, book)
    print(f"Grades of {chosen.name}: {count} students, {len(book.assignments)} assignments, in {args.csv}")
    return 0


def run_remove(context, args) -> int:
    from tljh_lite.runner import Runner

    from .operations import remove

    context.require_installed_hub("course remove changes")
    archive = remove(context.paths, context.checker, Runner(), args.name, _reloader(context))
    print(f"Course {args.name} removed; its gradebook, submissions and exchange are in {archive} "
          "(kept in every backup).")
    return 0


def _say(text: str) -> None:
    print(text, flush=True)


def _reloader(context):
    def reload_hub() -> str:
        from tljh_lite.reload import reload
        from tljh_lite.runner import Runner

        _say("Restarting the hub and waiting for it to answer (students' servers keep running)...")
        return reload("hub", context.paths, context.checker, Runner(), 120, say=_say)

    return reload_hub
