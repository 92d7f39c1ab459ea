"""State shared while compiling one pipeline into one Databricks job: names, files, secrets, errors."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ...diagnostics import Diagnostic, FieldPath, Severity
from ...environment import Environment
from ...ir import PipelineIR, TaskIR
from .settings import DatabricksPipelineSettings, DatabricksTaskSettings
from .stack import DatabricksStack

TARGET_NAME = "databricks"
RUNNER_FILE = "pipespec_runner.py"


@dataclass(frozen=True)
class GeneratedFile:
    """A file the job needs in the workspace (uploaded by the component as a `WorkspaceFile`)."""

    path: str  # absolute workspace path
    content: str
    rendered_name: str  # file name `render` writes it under
    task_ids: tuple[str, ...]  # tasks that use it (resource names derive from these)


@dataclass(frozen=True)
class SecretBinding:
    """A Pulumi config secret copied into a Databricks secret scope for tasks to read at run time."""

    config_key: str
    scope: str
    key: str


@dataclass
class Context:
    ir: PipelineIR
    env: Environment
    stack: DatabricksStack
    job_name: str
    pipe: DatabricksPipelineSettings
    files: dict[str, GeneratedFile] = field(default_factory=dict)
    secrets: dict[str, SecretBinding] = field(default_factory=dict)
    environments: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    clusters_used: set[str] = field(default_factory=set)
    parameters: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @classmethod
    def create(cls, ir: PipelineIR, env: Environment, stack: DatabricksStack) -> Context:
        pipe = ir.targets.get(TARGET_NAME) or DatabricksPipelineSettings()
        return cls(ir=ir, env=env, stack=stack, job_name=env.deployed_name(ir.name), pipe=pipe)

    @property
    def folder(self) -> str:
        return f"{self.stack.files_root}/{self.job_name}"

    @property
    def secret_scope(self) -> str:
        return self.stack.secret_scope or scope_name(self.job_name)

    def task_settings(self, task: TaskIR) -> DatabricksTaskSettings:
        settings: DatabricksTaskSettings | None = task.settings(TARGET_NAME)
        return settings or DatabricksTaskSettings()

    def add_file(self, name: str, content: str, task_id: str) -> str:
        path = f"{self.folder}/{name}"
        old = self.files.get(path)
        tasks = tuple(sorted({*(old.task_ids if old else ()), task_id}))
        self.files[path] = GeneratedFile(path, content, f"{self.ir.name}.{name}", tasks)
        return path

    def bind_secret(self, config_key: str) -> SecretBinding:
        binding = SecretBinding(config_key, self.secret_scope, re.sub(r"[^A-Za-z0-9_.-]", "_", config_key))
        self.secrets[config_key] = binding
        return binding

    def environment(self, dependencies: list[str], java: list[str] | None = None) -> str:
        """Key of a serverless environment with these dependencies (shared by tasks that need the same)."""
        deps, jars = sorted(set(dependencies)), sorted(set(java or []))
        key = "default"
        if deps or jars:
            digest = hashlib.sha256(repr((deps, jars)).encode()).hexdigest()[:10]
            key = f"deps_{digest}"
        self.environments[key] = {"dependencies": deps, "java_dependencies": jars}
        return key

    def error(self, task: TaskIR | None, path: FieldPath, code: str, message: str, hint: str) -> None:
        src = task.source if task else self.ir.source
        full = ("tasks", task.id, *path) if task else path
        self.diagnostics.append(
            Diagnostic(src.file, src.line, src.column, Severity.ERROR, code, message, full, hint, TARGET_NAME)
        )


def scope_name(job_name: str) -> str:
    """Secret scope names allow [A-Za-z0-9_.-], at most 128 characters."""
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", job_name)
    if len(clean) <= 128:
        return clean
    return f"{clean[:117]}-{hashlib.sha256(clean.encode()).hexdigest()[:10]}"
