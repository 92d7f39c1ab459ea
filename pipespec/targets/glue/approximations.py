"""What Glue runs differently from the spec: retries, timeouts, trigger rules, notifications (warnings,
and the few errors Glue's job limits make of them)."""

from __future__ import annotations

from collections.abc import Callable

from ...diagnostics import Diagnostic, Severity
from ...durations import format_duration
from ...ir import PipelineIR, TaskIR
from ...notify_plan import alarm_channels
from .nodes import FAILURE_RULES, Node

Diag = Callable[..., Diagnostic]
WARN = Severity.WARNING
MAX_TIMEOUT_MIN = 10080  # Glue: job timeouts under 7 days
OTHER_TARGETS = "deploy it with the stepfunctions target"


def _delays(task: TaskIR) -> str:
    return ", ".join(format_duration(d) for d in task.retry.delays())


def tasks(ir: PipelineIR, nodes: dict[str, Node], diag: Diag) -> list[Diagnostic]:
    """Per-task retries, timeouts and SLAs as Glue runs them."""
    out: list[Diagnostic] = []
    for task in ir.tasks:
        node = nodes[task.id]
        retry = task.retry
        if node.kind == "crawler":
            dropped = [
                w for w, on in (("retries", retry.retries), ("timeout", task.timeout_s), ("sla", task.sla_s)) if on
            ]
            if dropped:
                out.append(
                    diag(
                        task,
                        (dropped[0],),
                        "PS485",
                        f"task {task.id!r} runs a crawler: Glue crawlers have no {', '.join(dropped)}; not applied",
                        "set them on job tasks only (use `retries: 0` on the crawler to silence this)",
                        severity=WARN,
                    )
                )
            continue
        if retry.retries and not node.created:
            out.append(
                diag(
                    task,
                    ("retries",),
                    "PS485",
                    f"task {task.id!r} runs the existing job {node.name!r}: its retries are set on the job itself "
                    f"(MaxRetries), which pipespec does not manage; the spec's {retry.retries} retries are not applied",
                    "set MaxRetries on the job, or let pipespec create it from a `script`",
                    severity=WARN,
                )
            )
        elif retry.retries:
            extra = "; retry_on_timeout cannot be chosen on Glue" if retry.retry_on_timeout else ""
            out.append(
                diag(
                    task,
                    ("retries",),
                    "PS485",
                    f"task {task.id!r}: Glue restarts a failed job run at once, up to {retry.retries} time(s) "
                    f"(MaxRetries); the spec waits {_delays(task)} before them (delay, backoff and max_delay are "
                    f"not applied){extra}",
                    f"make the job tolerate an immediate restart, or {OTHER_TARGETS}",
                    severity=WARN,
                )
            )
        if task.timeout_s is not None:
            minutes = -(-task.timeout_s // 60)
            if minutes > MAX_TIMEOUT_MIN:
                out.append(
                    diag(
                        task,
                        ("timeout",),
                        "PS486",
                        f"task {task.id!r}: timeout {format_duration(task.timeout_s)} is longer than Glue allows "
                        "(under 7 days, 10080 minutes)",
                        "shorten the timeout",
                    )
                )
            elif task.timeout_s % 60:
                out.append(
                    diag(
                        task,
                        ("timeout",),
                        "PS486",
                        f"task {task.id!r}: Glue timeouts are whole minutes; {format_duration(task.timeout_s)} "
                        f"becomes {minutes}m",
                        "write the timeout in minutes",
                        severity=WARN,
                    )
                )
        if task.sla_s and task.sla_s % 60:
            out.append(
                diag(
                    task,
                    ("sla",),
                    "PS486",
                    f"task {task.id!r}: Glue's run delay notification counts whole minutes; the SLA "
                    f"{format_duration(task.sla_s)} becomes {-(-task.sla_s // 60)}m",
                    "write the SLA in minutes",
                    severity=WARN,
                )
            )
    return out


def trigger_semantics(ir: PipelineIR, diag: Diag) -> list[Diagnostic]:
    """Glue sees only runs that happened: a task skipped because an earlier task failed sends no event."""
    out: list[Diagnostic] = []
    handlers = {t.id for t in ir.tasks if t.trigger_rule in FAILURE_RULES}
    for task in ir.tasks:
        rule = task.trigger_rule
        if rule in (*FAILURE_RULES, "all_done"):
            deeper = sorted(d for d in task.depends_on if ir.task(d).depends_on)
            if deeper:
                out.append(
                    diag(
                        task,
                        ("trigger_rule",),
                        "PS487",
                        f"task {task.id!r} ({rule}) runs on Glue only when {', '.join(deeper)} itself ends; if a task "
                        "before it fails, it never runs and sends no event, so this task does not run either",
                        "depend directly on every task whose failure it must handle",
                        severity=WARN,
                    )
                )
        if rule == "all_failed" and len(task.depends_on) > 1:
            out.append(
                diag(
                    task,
                    ("trigger_rule",),
                    "PS487",
                    f"task {task.id!r} (all_failed): a Glue trigger that waits for all upstream jobs watches one "
                    "state each (FAILED); an upstream that timed out does not count",
                    "depend on a single task to handle timeouts too",
                    severity=WARN,
                )
            )
        if rule in ("none_failed", "all_success", "one_success") and handlers & set(task.depends_on):
            out.append(
                diag(
                    task,
                    ("depends_on",),
                    "PS487",
                    f"task {task.id!r} ({rule}) depends on failure handler(s) "
                    f"{', '.join(sorted(handlers & set(task.depends_on)))}, which do not run when nothing fails; on "
                    "Glue a handler that did not run is never 'skipped', so this task waits for it",
                    "depend on the tasks before the handler instead",
                    severity=WARN,
                )
            )
    return out


def notifications(ir: PipelineIR, nodes: dict[str, Node], diag: Diag, pdiag: Diag) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    alarm = set(alarm_channels(ir))
    for event in ("on_start", "on_success", "on_retry"):
        routed = sorted({t.id for t in ir.tasks if t.notify.get(event)})
        if ir.notify.get(event) or routed:
            out.append(
                pdiag(
                    ir,
                    ("notify", event),
                    "PS488",
                    f"{event} notifications are not sent by the glue target (it alerts on failures, timeouts and "
                    "task SLAs, from Glue's EventBridge events)",
                    f"rely on on_failure, or {OTHER_TARGETS}",
                    severity=WARN,
                )
            )
    for task in ir.tasks:
        own = set(task.notify.on_failure)
        if own and own != alarm:
            out.append(
                diag(
                    task,
                    ("notify", "on_failure"),
                    "PS488",
                    f"task {task.id!r}: its failure alerts go to the pipeline's failure and SLA channels "
                    f"({', '.join(sorted(alarm)) or 'none'}), not to {', '.join(sorted(own))}: EventBridge cannot "
                    "tag an SNS message with channels",
                    "route task failures like the pipeline's",
                    severity=WARN,
                )
            )
        if (
            task.sla_s
            and task.notify.on_sla_miss
            and nodes[task.id].kind == "job"
            and set(task.notify.on_sla_miss) != alarm
        ):
            out.append(
                diag(
                    task,
                    ("notify", "on_sla_miss"),
                    "PS488",
                    f"task {task.id!r}: its SLA alerts go to the pipeline's failure and SLA channels",
                    "route task SLA misses like the pipeline's",
                    severity=WARN,
                )
            )
    dropped = [
        (f, w)
        for f, w, on in (
            ("sla", "pipeline SLA", ir.sla_s),
            ("timeout", "pipeline timeout", ir.timeout_s),
            ("max_active_tasks", "limit on concurrent tasks (max_active_tasks)", ir.max_active_tasks),
            ("catchup", "catchup (backfill of missed runs)", ir.catchup and ir.schedule is not None),
        )
        if on
    ]
    for field, what in dropped:
        out.append(
            pdiag(
                ir,
                (field,),
                "PS488",
                f"Glue workflows have no {what}; not applied",
                "set timeouts and SLAs on the tasks (job runs support both)",
                severity=WARN,
            )
        )
    kinds = sorted({t.type for t in ir.triggers if t.type != "manual"})
    if kinds:
        out.append(
            pdiag(
                ir,
                ("triggers",),
                "PS488",
                f"the glue target does not deploy {', '.join(kinds)} triggers",
                "use a schedule, or start the workflow from elsewhere (glue:StartWorkflowRun)",
                severity=WARN,
            )
        )
    if ir.max_active_runs > 1:
        fixed = sorted(t for t, n in nodes.items() if n.kind == "crawler" or not n.created)
        if fixed:
            out.append(
                pdiag(
                    ir,
                    ("max_active_runs",),
                    "PS488",
                    f"{ir.max_active_runs} runs may overlap, but {', '.join(fixed)} cannot run concurrently "
                    "(a crawler never does; an existing job only up to its own MaxConcurrentRuns): overlapping runs "
                    "fail there",
                    "keep max_active_runs: 1",
                    severity=WARN,
                )
            )
    return out
