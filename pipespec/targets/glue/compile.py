"""PipelineIR + Deployment -> the Glue workflow document, pure and deterministic.

The document follows the Glue API's request shapes (CreateWorkflow, CreateTrigger, CreateJob,
CreateCrawler), plus pipespec's `Task` key on each object (the task it stands for) and the
role and EventBridge alert rules. Values only known at deploy time are `${...}` placeholders:
`${GlueRoleArn}` (the created role), `${AlertTopicArn}` (the alerting component's topic),
`${Partition}`, `${Region}`, `${Account}` (in the role policy's ARNs).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ...cron import CronError
from ...diagnostics import Diagnostic, Severity, SpecError
from ...environment import Deployment, Environment
from ...ir import PipelineIR, TaskIR
from ...notify_plan import bounded
from ...spec.tasks import GlueTask
from .alerting import alert_rules
from .iam import ASSUME_ROLE_POLICY, Access, role_policy
from .nodes import (
    Node,
    UnsupportedRule,
    nodes_of,
    pipeline_settings,
    predicate,
    start_trigger_name,
    task_settings,
    trigger_name,
    workflow_name,
)
from .schedule import utc_schedule
from .settings import GlueJobSettings
from .stack import GlueStack

PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)\}")
ROLE = "${GlueRoleArn}"
NAME_MAX = 255  # Glue workflow, trigger, job and crawler names: 1-255 bytes
IAM_ROLE_NAME_MAX = 64
IAM_INLINE_POLICY_MAX = 10240  # characters of a role's inline policies, whitespace not counted
# Longest value of each ARN placeholder (aws-us-gov, ap-southeast-5, a 12-digit account).
LONGEST = {"Partition": 10, "Region": 14, "Account": 12}
PYTHON_SHELL_GLUE_VERSION = "3.0"  # Python 3.9 shell jobs


class GlueCompileError(SpecError):
    """The pipeline cannot compile for Glue with this deployment (diagnostics say where and why)."""


@dataclass(frozen=True)
class JobShape:
    """A created job's resolved settings (task -> pipeline -> stack -> Glue defaults)."""

    job_type: str
    glue_version: str
    worker_type: str | None
    number_of_workers: int | None
    capacity: float | None


@dataclass(frozen=True)
class CompiledWorkflow:
    """Everything the component deploys for one pipeline; nothing in it is re-derived downstream."""

    pipeline: str  # spec name
    name: str  # deployed workflow name
    env: Environment
    document: dict[str, Any]
    text: str  # the document as rendered (placeholders unsubstituted)
    nodes: dict[str, Node]  # by task id
    placeholders: tuple[str, ...]

    @property
    def filename(self) -> str:
        return f"{self.pipeline}.glue.json"


def job_shape(task: TaskIR, ir: PipelineIR, stack: GlueStack) -> JobShape:
    layers: list[GlueJobSettings] = [task_settings(task), pipeline_settings(ir)]

    def pick(name: str) -> Any:
        return next((getattr(s, name) for s in layers if getattr(s, name) is not None), None)

    job_type = pick("job_type") or "spark"
    if job_type == "python_shell":
        # Only the task's own version: a pipeline-wide one is meant for its Spark jobs.
        version = task_settings(task).glue_version or PYTHON_SHELL_GLUE_VERSION
        return JobShape("python_shell", version, None, None, pick("python_shell_capacity") or 0.0625)
    workers = pick("number_of_workers") or stack.default_number_of_workers
    if stack.max_number_of_workers is not None:
        workers = min(workers, stack.max_number_of_workers)
    return JobShape(
        "spark",
        pick("glue_version") or stack.default_glue_version,
        pick("worker_type") or stack.default_worker_type,
        workers,
        None,
    )


def timeout_minutes(seconds: int | None) -> int | None:
    return None if seconds is None else max(1, math.ceil(seconds / 60))


def _arguments(task: TaskIR) -> dict[str, str]:
    spec = task.spec
    assert isinstance(spec, GlueTask)
    return {(k if k.startswith("--") else f"--{k}"): v for k, v in sorted(spec.arguments.items())}


def _default_arguments(shape: JobShape, stack: GlueStack) -> dict[str, str]:
    args = {"--job-language": "python"}
    if shape.job_type == "spark":
        if stack.temp_dir:
            args["--TempDir"] = stack.temp_dir
        if stack.continuous_logging:
            args["--enable-continuous-cloudwatch-log"] = "true"
        if stack.spark_ui_logs_path:
            args["--enable-spark-ui"] = "true"
            args["--spark-event-logs-path"] = stack.spark_ui_logs_path
    if stack.job_metrics:
        args["--enable-metrics"] = "true"
    return args


class _Builder:
    def __init__(self, ir: PipelineIR, deployment: Deployment) -> None:
        self.ir = ir
        self.env = deployment.env
        self.stack: GlueStack = deployment.settings if isinstance(deployment.settings, GlueStack) else GlueStack()
        self.deployed = workflow_name(ir, self.env)
        self.nodes = nodes_of(ir, self.env)
        tags = {**self.env.tags, "pipespec-environment": self.env.name, "pipespec:pipeline": ir.name}
        self.tags = dict(sorted(tags.items()))
        self.role = self.stack.role_arn or ROLE
        self.access = Access(metrics=self.stack.job_metrics, any_log_group=bool(self.stack.security_configuration))
        self.errors: list[Diagnostic] = []

    def error(self, message: str, hint: str, task: TaskIR | None = None) -> None:
        src = task.source if task else self.ir.source
        path: tuple[str, ...] = ("tasks", task.id) if task else ("name",)
        self.errors.append(
            Diagnostic(src.file, src.line, src.column, Severity.ERROR, "PS489", message, path, hint, "glue")
        )

    def check_name(self, name: str, what: str, task: TaskIR | None = None) -> None:
        size = len(name.encode())
        if size > NAME_MAX:
            self.error(
                f"the Glue {what} name {name[:60]!r}… is {size} bytes with the environment prefix "
                f"{self.env.name_prefix!r}; Glue allows {NAME_MAX}",
                "shorten the pipeline name or the task id, or use a shorter name_prefix",
                task,
            )

    def workflow(self) -> dict[str, Any]:
        self.check_name(self.deployed, "workflow")
        out: dict[str, Any] = {
            "Description": self.ir.description or f"pipespec pipeline {self.ir.name}",
            "MaxConcurrentRuns": self.ir.max_active_runs,
            "Name": self.deployed,
            "Tags": self.tags,
        }
        props = pipeline_settings(self.ir).run_properties
        if props:
            out["DefaultRunProperties"] = dict(sorted(props.items()))
        return out

    def action(self, task: TaskIR) -> dict[str, Any]:
        node = self.nodes[task.id]
        if node.kind == "crawler":
            return {"CrawlerName": node.name, "Task": task.id}
        out: dict[str, Any] = {"JobName": node.name, "Task": task.id}
        if task.spec.arguments:  # type: ignore[union-attr]
            out["Arguments"] = _arguments(task)
        minutes = timeout_minutes(task.timeout_s)
        if minutes is not None:
            out["Timeout"] = minutes
        if task.sla_s:
            out["NotificationProperty"] = {"NotifyDelayAfter": timeout_minutes(task.sla_s)}
        if self.stack.security_configuration and node.created:
            out["SecurityConfiguration"] = self.stack.security_configuration
        return out

    def start_trigger(self) -> dict[str, Any]:
        roots = [t for t in self.ir.tasks if not t.depends_on]
        out: dict[str, Any] = {
            "Actions": [self.action(t) for t in roots],
            "Description": f"Starts pipeline {self.ir.name}",
            "Name": start_trigger_name(self.deployed),
            "Tags": self.tags,
            "WorkflowName": self.deployed,
        }
        sched = self.ir.schedule
        if sched is None:
            return {**out, "Type": "ON_DEMAND"}
        try:
            utc = utc_schedule(sched.cron, sched.timezone)
        except CronError as exc:
            self.error(f"the schedule cannot run on Glue: {exc.message}", exc.hint)
            return {**out, "Type": "ON_DEMAND"}
        enabled = not (sched.paused or self.env.pause_schedules)
        return {**out, "Enabled": enabled, "Schedule": utc.expression, "StartOnCreation": enabled, "Type": "SCHEDULED"}

    def conditional_trigger(self, task: TaskIR) -> dict[str, Any]:
        name = trigger_name(self.deployed, task.id)
        self.check_name(name, "trigger", task)
        try:
            pred = predicate(task, self.nodes)
        except UnsupportedRule as exc:
            self.error(str(exc), "see the glue target's trigger rule table (docs/targets/glue.md)", task)
            pred = {"Conditions": [], "Logical": "AND"}
        return {
            "Actions": [self.action(task)],
            "Description": f"Runs {task.id} ({task.trigger_rule}) after {', '.join(task.depends_on)}",
            "Enabled": True,
            "Name": name,
            "Predicate": pred,
            "StartOnCreation": True,
            "Tags": self.tags,
            "Task": task.id,
            "Type": "CONDITIONAL",
            "WorkflowName": self.deployed,
        }

    def job(self, task: TaskIR, node: Node) -> dict[str, Any]:
        spec = task.spec
        assert isinstance(spec, GlueTask) and spec.script
        self.check_name(node.name, "job", task)
        own = task_settings(task)
        shape = job_shape(task, self.ir, self.stack)
        self.access.jobs = True
        self.access.scripts.add(spec.script)
        self.access.reads.update(own.reads)
        self.access.writes.update(own.writes)
        self.access.databases.update(own.catalog_databases)
        if shape.job_type == "spark":
            self.access.writes.update(p for p in (self.stack.temp_dir, self.stack.spark_ui_logs_path) if p)
        out: dict[str, Any] = {
            "Command": {
                "Name": "glueetl" if shape.job_type == "spark" else "pythonshell",
                "PythonVersion": "3" if shape.job_type == "spark" else "3.9",
                "ScriptLocation": spec.script,
            },
            "DefaultArguments": _default_arguments(shape, self.stack),
            "Description": task.description or f"{self.ir.name}.{task.id}",
            "ExecutionProperty": {"MaxConcurrentRuns": self.ir.max_active_runs},
            "GlueVersion": shape.glue_version,
            "MaxRetries": task.retry.retries,
            "Name": node.name,
            "Role": self.role,
            "Tags": self.tags,
            "Task": task.id,
        }
        if shape.job_type == "spark":
            out["WorkerType"] = shape.worker_type
            out["NumberOfWorkers"] = shape.number_of_workers
        else:
            out["MaxCapacity"] = shape.capacity
        minutes = timeout_minutes(task.timeout_s)
        if minutes is not None:
            out["Timeout"] = minutes
        if task.sla_s:
            out["NotificationProperty"] = {"NotifyDelayAfter": timeout_minutes(task.sla_s)}
        if self.stack.security_configuration:
            out["SecurityConfiguration"] = self.stack.security_configuration
        return out

    def crawler(self, task: TaskIR, node: Node) -> dict[str, Any]:
        crawler = task_settings(task).crawler
        assert crawler is not None
        self.check_name(node.name, "crawler", task)
        self.access.crawlers = True
        self.access.reads.update(crawler.s3_targets)
        self.access.databases.add(crawler.database)
        new_only = crawler.recrawl == "new_folders_only"
        targets = []
        for path in crawler.s3_targets:
            target: dict[str, Any] = {"Path": path}
            if crawler.exclusions:
                target["Exclusions"] = list(crawler.exclusions)
            targets.append(target)
        out: dict[str, Any] = {
            "DatabaseName": crawler.database,
            "Description": task.description or f"{self.ir.name}.{task.id}",
            "Name": node.name,
            "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY" if new_only else "CRAWL_EVERYTHING"},
            "Role": self.role,
            # Crawling only new folders requires logging schema changes instead of applying them (Glue API rule).
            "SchemaChangePolicy": {
                "DeleteBehavior": "LOG" if new_only else "DEPRECATE_IN_DATABASE",
                "UpdateBehavior": "LOG" if new_only else "UPDATE_IN_DATABASE",
            },
            "Tags": self.tags,
            "Targets": {"S3Targets": targets},
            "Task": task.id,
        }
        if crawler.table_prefix:
            out["TablePrefix"] = crawler.table_prefix
        if self.stack.security_configuration:
            out["CrawlerSecurityConfiguration"] = self.stack.security_configuration
        return out

    def build(self) -> dict[str, Any]:
        workflow = self.workflow()
        triggers = [self.start_trigger()] + [self.conditional_trigger(t) for t in self.ir.tasks if t.depends_on]
        jobs, existing, crawlers, rules = [], [], [], []
        for task in self.ir.tasks:
            node = self.nodes[task.id]
            if node.kind == "crawler":
                crawlers.append(self.crawler(task, node))
            elif node.created:
                jobs.append(self.job(task, node))
            else:
                existing.append({"Name": node.name, "Task": task.id})
            rules += [r.as_dict() for r in alert_rules(task, node, self.deployed, self.env)]
        role = None
        if (jobs or crawlers) and not self.stack.role_arn:
            policy = role_policy(self.access)
            role = {
                "AssumeRolePolicy": ASSUME_ROLE_POLICY,
                "Name": bounded(f"{self.deployed}-glue", IAM_ROLE_NAME_MAX),
                "Policy": policy,
                "Tags": self.tags,
            }
            size = policy_size(policy)
            if size > IAM_INLINE_POLICY_MAX:
                self.error(
                    f"the role policy of the created jobs and crawlers would be {size} characters; IAM allows "
                    f"{IAM_INLINE_POLICY_MAX} of inline policy per role",
                    "name fewer, broader s3 prefixes in reads / writes, or set pipespec:glue.role_arn to a role "
                    "you manage",
                )
        return {
            "AlertRules": rules,
            "Crawlers": crawlers,
            "ExistingJobs": existing,
            "Jobs": jobs,
            "Role": role,
            "RoleArn": self.role if jobs or crawlers else None,
            "Triggers": triggers,
            "Workflow": workflow,
        }


def policy_size(policy: dict[str, Any]) -> int:
    """Characters IAM counts, with every ARN placeholder at its longest value."""
    text = json.dumps(policy, separators=(",", ":"), sort_keys=True)
    text = PLACEHOLDER.sub(lambda m: "x" * LONGEST.get(m.group(1), len(m.group(0))), text)
    return sum(1 for ch in text if not ch.isspace())


def render_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def placeholders(text: str) -> tuple[str, ...]:
    return tuple(sorted(set(PLACEHOLDER.findall(text))))


def compile_workflow(ir: PipelineIR, deployment: Deployment | None = None) -> CompiledWorkflow:
    """Compile `ir` for Glue. Raises GlueCompileError when names or the schedule cannot deploy."""
    builder = _Builder(ir, deployment or Deployment(settings=GlueStack()))
    document = builder.build()
    if builder.errors:
        raise GlueCompileError(builder.errors)
    text = render_text(document)
    return CompiledWorkflow(ir.name, builder.deployed, builder.env, document, text, builder.nodes, placeholders(text))
