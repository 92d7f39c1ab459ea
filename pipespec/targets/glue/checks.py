"""What Glue Workflows cannot run as written, and what they only approximate (before anything deploys).

Limits (AWS docs and the Glue API model): 500 conditions per trigger, 50 jobs and 2 crawlers
per trigger (`Max jobs per trigger` quota; "only two crawlers can be activated by a single
trigger"), one start trigger per workflow, 255-byte names, job timeouts under 7 days, and at
most 100 jobs, crawlers and triggers per workflow before resuming or stopping runs may fail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from ...cron import CronError
from ...diagnostics import Diagnostic, Severity
from ...environment import Environment
from ...ir import PipelineIR
from ...spec.tasks import GlueTask
from .approximations import OTHER_TARGETS, notifications, tasks, trigger_semantics
from .nodes import Node, condition_count, nodes_of, pipeline_settings, task_settings
from .schedule import dst_note, utc_schedule

Diag = Callable[..., Diagnostic]
WARN = Severity.WARNING
MAX_CONDITIONS = 500
MAX_JOB_ACTIONS = 50
MAX_CRAWLER_ACTIONS = 2
MAX_NAME_BYTES = 255
WORKFLOW_NODES_ADVISED = 100
ACCOUNT_TRIGGERS = 1000


def definitions(ir: PipelineIR, diag: Diag) -> list[Diagnostic]:
    """Each task names a runnable job or crawler, with settings that fit its job type."""
    out: list[Diagnostic] = []
    for task in ir.tasks:
        spec = task.spec
        assert isinstance(spec, GlueTask)
        own = task_settings(task)
        if own.crawler is not None:
            if spec.script or not spec.job_name:
                out.append(
                    diag(
                        task,
                        ("script",) if spec.script else ("job_name",),
                        "PS480",
                        f"task {task.id!r} runs a crawler: it takes `job_name` (the crawler's name) and no `script`",
                        "write `job_name: <crawler name>` and drop `script` (interim form, see docs/targets/glue.md)",
                    )
                )
            continue
        if spec.script and not spec.job_name and not spec.script.startswith("s3://"):
            out.append(
                diag(
                    task,
                    ("script",),
                    "PS480",
                    f"task {task.id!r}: Glue runs scripts from S3, not {spec.script!r}",
                    "upload the script and write its s3://bucket/key location",
                )
            )
        if spec.job_name and ("\n" in spec.job_name or len(spec.job_name.encode()) > MAX_NAME_BYTES):
            out.append(
                diag(
                    task,
                    ("job_name",),
                    "PS480",
                    f"task {task.id!r}: {spec.job_name[:40]!r}… is not a Glue job name",
                    "Glue names are one line of at most 255 bytes",
                )
            )
        if (own.job_type or pipeline_settings(ir).job_type) == "python_shell":
            extra = [f for f in ("worker_type", "number_of_workers") if getattr(own, f) is not None]
            if extra or (own.glue_version not in (None, "3.0")):
                out.append(
                    diag(
                        task,
                        ("targets", "glue"),
                        "PS480",
                        f"task {task.id!r} is a python_shell job: "
                        + (
                            f"{', '.join(extra)} apply to Spark jobs only"
                            if extra
                            else f"Glue runs Python 3.9 shell jobs on Glue version 3.0, not {own.glue_version}"
                        ),
                        "use python_shell_capacity (0.0625 or 1) and glue_version 3.0, or job_type: spark",
                    )
                )
        elif own.python_shell_capacity is not None:
            out.append(
                diag(
                    task,
                    ("targets", "glue", "python_shell_capacity"),
                    "PS480",
                    f"task {task.id!r}: python_shell_capacity applies to python_shell jobs only",
                    "set job_type: python_shell, or size the Spark job with worker_type / number_of_workers",
                )
            )
    return out


def duplicates(ir: PipelineIR, nodes: dict[str, Node], diag: Diag) -> list[Diagnostic]:
    """Conditions watch jobs and crawlers by name: two tasks running one of them cannot be told apart."""
    counts = Counter((n.kind, n.name) for n in nodes.values())
    out = []
    for task in ir.tasks:
        node = nodes[task.id]
        if counts[(node.kind, node.name)] > 1:
            others = sorted(t for t, n in nodes.items() if (n.kind, n.name) == (node.kind, node.name) and t != task.id)
            out.append(
                diag(
                    task,
                    ("job_name",),
                    "PS480",
                    f"task {task.id!r} runs the Glue {node.kind} {node.name!r}, like {', '.join(others)}; Glue "
                    "triggers watch jobs and crawlers by name, so the workflow could not tell these tasks apart",
                    f"give each task its own {node.kind}",
                )
            )
    return out


def limits(ir: PipelineIR, nodes: dict[str, Node], diag: Diag, pdiag: Diag) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for task in ir.tasks:
        if task.trigger_rule == "all_done" and len(task.depends_on) > 1:
            out.append(
                diag(
                    task,
                    ("trigger_rule",),
                    "PS481",
                    f"task {task.id!r} runs when all of its {len(task.depends_on)} upstream tasks are done "
                    "(all_done); a Glue trigger can wait for all upstreams in one given state, or for any one "
                    "in several states, not for all in any state",
                    f"make it depend on a single task, or {OTHER_TARGETS}",
                )
            )
            continue
        count = condition_count(task, nodes)
        if count > MAX_CONDITIONS:
            out.append(
                diag(
                    task,
                    ("depends_on",),
                    "PS482",
                    f"task {task.id!r} needs {count} trigger conditions; a Glue trigger has at most {MAX_CONDITIONS}",
                    "split its upstream tasks behind an intermediate task",
                )
            )
    roots = [t for t in ir.tasks if not t.depends_on]
    crawlers = [t.id for t in roots if nodes[t.id].kind == "crawler"]
    jobs = [t.id for t in roots if nodes[t.id].kind == "job"]
    if len(jobs) > MAX_JOB_ACTIONS or len(crawlers) > MAX_CRAWLER_ACTIONS:
        out.append(
            pdiag(
                ir,
                ("tasks",),
                "PS482",
                f"{len(jobs)} jobs and {len(crawlers)} crawlers have no dependencies, so the workflow's one start "
                f"trigger would start them all; a Glue trigger starts at most {MAX_JOB_ACTIONS} jobs and "
                f"{MAX_CRAWLER_ACTIONS} crawlers",
                "make some of them depend on another task, or split the pipeline",
            )
        )
    triggers = 1 + sum(1 for t in ir.tasks if t.depends_on)
    size = len(ir.tasks) + triggers
    if size > WORKFLOW_NODES_ADVISED:
        out.append(
            pdiag(
                ir,
                ("tasks",),
                "PS482",
                f"the workflow has {size} jobs, crawlers and triggers; AWS advises at most {WORKFLOW_NODES_ADVISED} "
                "(above that, resuming or stopping a workflow run may fail)"
                + (
                    f", and the account default quota is {ACCOUNT_TRIGGERS} triggers"
                    if triggers > ACCOUNT_TRIGGERS
                    else ""
                ),
                "split the pipeline into smaller ones chained with `pipeline` triggers on another target, or accept it",
                severity=WARN,
            )
        )
    longest = max(ir.tasks, key=lambda t: (len(t.id), t.id))
    room = MAX_NAME_BYTES - len(f"{ir.name}-run-")
    if len(longest.id) > room:
        out.append(
            diag(
                longest,
                (),
                "PS483",
                f"the Glue trigger of task {longest.id!r} would be named {ir.name}-run-{longest.id} "
                f"({len(ir.name) + 5 + len(longest.id)} bytes); Glue names have at most {MAX_NAME_BYTES}",
                f"keep pipeline name + task id under {MAX_NAME_BYTES - 5} characters (less the environment prefix)",
            )
        )
    return out


def schedule(ir: PipelineIR, pdiag: Diag) -> list[Diagnostic]:
    if ir.schedule is None:
        return []
    try:
        sched = utc_schedule(ir.schedule.cron, ir.schedule.timezone)
    except CronError as exc:
        return [pdiag(ir, ("schedule", "cron"), "PS484", f"the schedule cannot run on Glue: {exc.message}", exc.hint)]
    note = dst_note(ir.schedule.cron, sched)
    if not note:
        return []
    return [
        pdiag(
            ir,
            ("schedule", "timezone"),
            "PS484",
            note,
            f"write the schedule in UTC to choose the hour yourself, or {OTHER_TARGETS} (EventBridge Scheduler "
            "follows the time zone)",
            severity=WARN,
        )
    ]


def check(ir: PipelineIR, diag: Diag, pdiag: Diag) -> list[Diagnostic]:
    out = definitions(ir, diag)
    if any(d.is_error for d in out):
        return out
    nodes = nodes_of(ir, Environment())
    out += duplicates(ir, nodes, diag) + limits(ir, nodes, diag, pdiag) + schedule(ir, pdiag)
    out += tasks(ir, nodes, diag) + trigger_semantics(ir, diag) + notifications(ir, nodes, diag, pdiag)
    return out
