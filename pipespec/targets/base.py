"""The small face every target shows: what it can run, what it checks, what it writes.

`render`, `synth` and validation loop over the registry; adding a target is one folder with
a `Target` subclass plus its component.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel

from ..diagnostics import Diagnostic, FieldPath, Severity
from ..environment import Deployment
from ..ir import PipelineIR, TaskIR


@dataclass(frozen=True)
class NameRule:
    """A platform's naming rule for an id (task id or pipeline name)."""

    what: str  # e.g. "Databricks task_key"
    pattern: str  # full-match regex
    max_length: int
    explain: str  # the rule in words, for the message

    def violation(self, value: str, extra_length: int = 0) -> str | None:
        if len(value) + extra_length > self.max_length:
            room = self.max_length - extra_length
            return f"longer than {room} characters" + (
                f" (the {self.what} limit is {self.max_length}, {extra_length} taken by prefixes)"
                if extra_length
                else ""
            )
        if not re.fullmatch(self.pattern, value):
            return self.explain
        return None


@dataclass(frozen=True)
class Rendered:
    """One file a target writes: deterministic text."""

    filename: str
    content: str


class Target(ABC):
    name: ClassVar[str]
    title: ClassVar[str]
    kinds: ClassVar[frozenset[str]]
    # Why a kind is not supported and what to do instead, by kind.
    unsupported_hints: ClassVar[Mapping[str, str]] = {}
    task_id_rule: ClassVar[NameRule | None] = None
    pipeline_name_rule: ClassVar[NameRule | None] = None
    # Per-stack (environment) settings: name prefix, paused schedules, cluster sizes …
    stack_settings: ClassVar[type[BaseModel]]

    def check(self, ir: PipelineIR) -> list[Diagnostic]:
        """Everything this target cannot do for this pipeline, before anything is deployed."""
        out: list[Diagnostic] = []
        for task in ir.tasks:
            if task.kind not in self.kinds:
                hint = self.unsupported_hints.get(task.kind) or (
                    f"{self.title} runs: {', '.join(sorted(self.kinds))}; "
                    f"remove '{self.name}' from the pipeline's targets or change the task"
                )
                out.append(
                    self.diag(
                        task,
                        ("kind",),
                        "PS400",
                        f"task {task.id!r} of kind {task.kind!r} cannot run on {self.title}",
                        hint,
                    )
                )
            if self.task_id_rule and (why := self.task_id_rule.violation(task.id)):
                out.append(
                    self.diag(
                        task,
                        (),
                        "PS401",
                        f"task id {task.id!r} breaks the {self.task_id_rule.what} rule: {why}",
                        f"rename the task or remove '{self.name}' from the pipeline's targets",
                    )
                )
        if self.pipeline_name_rule and (why := self.pipeline_name_rule.violation(ir.name)):
            out.append(
                self.pipeline_diag(
                    ir,
                    ("name",),
                    "PS402",
                    f"pipeline name {ir.name!r} breaks the {self.pipeline_name_rule.what} rule: {why}",
                    "rename the pipeline",
                )
            )
        if not any(d.is_error for d in out):
            out.extend(self.check_limits(ir))
        return out

    def check_limits(self, ir: PipelineIR) -> list[Diagnostic]:
        """Target-specific limits and approximations (override)."""
        return []

    def diag(
        self,
        task: TaskIR,
        path: FieldPath,
        code: str,
        message: str,
        hint: str = "",
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        src = task.source
        return Diagnostic(
            src.file, src.line, src.column, severity, code, message, ("tasks", task.id, *path), hint, self.name
        )

    def pipeline_diag(
        self,
        ir: PipelineIR,
        path: FieldPath,
        code: str,
        message: str,
        hint: str = "",
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        src = ir.source
        return Diagnostic(src.file, src.line, src.column, severity, code, message, path, hint, self.name)

    def deployment(self, deployment: Deployment | None = None) -> Deployment:
        """Fill in the target's default stack settings where none were given."""
        deployment = deployment or Deployment()
        if deployment.settings is None:
            return Deployment(deployment.env, self.stack_settings())
        return deployment

    @abstractmethod
    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        """The native documents, exactly as the component deploys them."""

    def summary(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[str]:
        """Lines the CLI prints after rendering (makespans, counts …)."""
        return []
