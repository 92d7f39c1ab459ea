"""Semantic checks on a parsed spec: everything pydantic cannot see on one field alone.

Every check appends to one list, so a user sees all problems in one run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

from .dag import find_cycles
from .diagnostics import Diagnostic, FieldPath, Severity
from .loader import Document
from .model_errors import did_you_mean
from .spec.notify import NOTIFY_EVENTS, NotifySpec
from .spec.pipeline import PipelineCompletionTrigger, PipelineSpec

# Values that are secrets by their shape, wherever they appear in a spec.
_SECRET_SHAPES = [
    (re.compile(r"https://hooks\.slack\.com/"), "a Slack webhook URL"),
    (re.compile(r"https://[\w.-]*webhook\.office\.com/"), "a Microsoft Teams webhook URL"),
    (re.compile(r"https://[\w.-]*\.logic\.azure\.com/.*sig="), "a signed Teams workflow URL"),
    (re.compile(r"(?i)^\s*bearer\s+[A-Za-z0-9._~+/-]{8,}=*\s*$"), "a bearer token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\bdapi[0-9a-f]{32}\b"), "a Databricks personal access token"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"(?i)[?&](token|sig|signature|api[_-]?key|password)=[^&\s{]{6,}"), "a credential in a URL"),
]


class _Checker:
    def __init__(self, spec: PipelineSpec, doc: Document) -> None:
        self.spec = spec
        self.doc = doc
        self.out: list[Diagnostic] = []

    def add(
        self,
        path: FieldPath,
        code: str,
        message: str,
        hint: str = "",
        *,
        severity: Severity = Severity.ERROR,
        key: bool = False,
    ) -> None:
        mark = self.doc.locate(path, key=key)
        self.out.append(Diagnostic(self.doc.file, mark.line, mark.column, severity, code, message, path, hint))

    def run(self) -> list[Diagnostic]:
        self.dependencies()
        self.cycles()
        self.notifications()
        self.gates_and_rules()
        self.timing()
        self.triggers()
        return self.out

    def dependencies(self) -> None:
        ids = set(self.spec.tasks)
        for tid, task in self.spec.tasks.items():
            seen: set[str] = set()
            for i, dep in enumerate(task.depends_on):
                path: FieldPath = ("tasks", tid, "depends_on", i)
                if dep == tid:
                    self.add(path, "PS201", f"task {tid!r} depends on itself", "remove it from depends_on")
                elif dep not in ids:
                    hint = did_you_mean(dep, ids) or "depends_on lists ids of tasks in this file"
                    self.add(path, "PS202", f"task {tid!r} depends on unknown task {dep!r}", hint)
                elif dep in seen:
                    self.add(
                        path,
                        "PS203",
                        f"task {tid!r} lists {dep!r} twice in depends_on",
                        "remove the duplicate",
                        severity=Severity.WARNING,
                    )
                seen.add(dep)

    def cycles(self) -> None:
        ids = set(self.spec.tasks)
        deps = {t: [d for d in task.depends_on if d in ids and d != t] for t, task in self.spec.tasks.items()}
        for cycle in find_cycles(deps):
            # Point at the edge that closes the cycle: the first task's dependency on the last.
            first, last = cycle[1], cycle[0]
            idx = self.spec.tasks[first].depends_on.index(last)
            self.add(
                ("tasks", first, "depends_on", idx),
                "PS204",
                "dependency cycle: " + " -> ".join(cycle),
                f"a pipeline must be acyclic: remove one of these dependencies, e.g. {first!r} on {last!r}",
            )

    def notifications(self) -> None:
        channels = set(self.spec.channels)
        used: set[str] = set()

        def check(notify: NotifySpec | None, base: FieldPath) -> None:
            if notify is None:
                return
            for event in NOTIFY_EVENTS:
                for i, ch in enumerate(getattr(notify, event) or []):
                    used.add(ch)
                    if ch not in channels:
                        hint = did_you_mean(ch, channels) or "define it under 'channels:'"
                        self.add((*base, event, i), "PS210", f"unknown notification channel {ch!r}", hint)

        check(self.spec.notify, ("notify",))
        for tid, task in self.spec.tasks.items():
            check(task.notify, ("tasks", tid, "notify"))
        for ch in sorted(channels - used):
            self.add(
                ("channels", ch),
                "PS211",
                f"channel {ch!r} is never used",
                "route an event to it under 'notify:' or remove it",
                severity=Severity.WARNING,
                key=True,
            )
        if self.spec.sla and not self.spec.notify.on_sla_miss and not self.spec.notify.on_failure:
            self.add(
                ("sla",),
                "PS212",
                "the pipeline has an SLA but nobody is notified when it is missed",
                "add 'notify: {on_sla_miss: [channel]}'",
                severity=Severity.WARNING,
            )

    def gates_and_rules(self) -> None:
        for tid, task in self.spec.tasks.items():
            rule = task.trigger_rule or "all_success"
            if task.quality_gate and rule != "all_success":
                self.add(
                    ("tasks", tid, "trigger_rule"),
                    "PS220",
                    f"quality gate {tid!r} has trigger_rule {rule!r}",
                    "a gate only means something when it runs after its inputs succeeded: use all_success",
                )
            if rule != "all_success" and not task.depends_on:
                self.add(
                    ("tasks", tid, "trigger_rule"),
                    "PS221",
                    f"task {tid!r} has trigger_rule {rule!r} but no upstream tasks",
                    "trigger rules are about upstream results: add depends_on or drop the rule",
                )

    def timing(self) -> None:
        total = self.spec.timeout
        for tid, task in self.spec.tasks.items():
            timeout = task.timeout or self.spec.defaults.timeout
            expected = task.expected_duration or self.spec.defaults.expected_duration
            if timeout and expected and expected > timeout:
                self.add(
                    ("tasks", tid, "expected_duration"),
                    "PS230",
                    f"task {tid!r} is expected to run longer than its timeout",
                    "raise the timeout or lower expected_duration",
                    severity=Severity.WARNING,
                )
            if total and task.timeout and task.timeout > total:
                self.add(
                    ("tasks", tid, "timeout"),
                    "PS231",
                    f"task {tid!r} timeout is longer than the pipeline timeout",
                    "the pipeline timeout stops the run first",
                    severity=Severity.WARNING,
                )
        if self.spec.sla and self.spec.timeout and self.spec.sla > self.spec.timeout:
            self.add(
                ("sla",),
                "PS232",
                "the pipeline SLA is longer than its timeout, so an SLA miss can never be reported",
                "make the SLA shorter than the timeout",
                severity=Severity.WARNING,
            )

    def triggers(self) -> None:
        for i, trig in enumerate(self.spec.triggers):
            if isinstance(trig, PipelineCompletionTrigger) and trig.pipeline == self.spec.name:
                self.add(
                    ("triggers", i, "pipeline"),
                    "PS240",
                    "a pipeline cannot be triggered by its own completion",
                    "name the upstream pipeline",
                )
        if self.spec.schedule is None and not self.spec.triggers:
            self.add(
                (),
                "PS241",
                "the pipeline has no schedule and no triggers: it only runs when started by hand",
                "add 'schedule:' or 'triggers: [{type: manual}]' to say so",
                severity=Severity.INFO,
            )


def _walk_strings(node: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    stack: list[tuple[Any, FieldPath]] = [(node, path)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, str):
            yield at, value
        elif isinstance(value, dict):
            stack.extend((v, (*at, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*at, i)) for i, v in enumerate(value))


def semantic_diagnostics(spec: PipelineSpec, doc: Document) -> list[Diagnostic]:
    return _Checker(spec, doc).run()


def secret_diagnostics(doc: Document) -> list[Diagnostic]:
    """Secrets written in the file, found by shape. Runs on raw data, so even a spec that
    fails model validation is told about a leaked webhook or token."""
    out: list[Diagnostic] = []
    for path, value in _walk_strings(doc.data, ()):
        for pattern, what in _SECRET_SHAPES:
            if pattern.search(value):
                mark = doc.locate(path)
                out.append(
                    Diagnostic(
                        doc.file,
                        mark.line,
                        mark.column,
                        Severity.ERROR,
                        "PS300",
                        f"this looks like {what} written in the spec",
                        path,
                        "secrets never go in spec files (they end up in git and in logs): store it with "
                        "`pulumi config set --secret NAME VALUE` and reference NAME from a *_secret key",
                    )
                )
                break
    return out


def raw_dependency_diagnostics(doc: Document) -> list[Diagnostic]:
    """Dependency and cycle checks on the raw data, for a spec the schema rejected: a typo in
    `depends_on` is then reported in the same run as the schema errors, not after they are fixed."""
    tasks = doc.data.get("tasks")
    if not isinstance(tasks, dict):
        return []
    shaped: dict[str, Any] = {}
    for tid, body in tasks.items():
        deps = body.get("depends_on") if isinstance(body, dict) else None
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            deps = []
        shaped[str(tid)] = SimpleNamespace(depends_on=deps)
    checker = _Checker(cast(PipelineSpec, SimpleNamespace(tasks=shaped)), doc)
    checker.dependencies()
    checker.cycles()
    return checker.out
