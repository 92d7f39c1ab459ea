"""Load -> models -> validate -> resolve -> target checks, for one file or many."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .diagnostics import Diagnostic, Severity, SpecError, has_errors, sort_diagnostics
from .environment import Environment
from .ir import PipelineIR
from .loader import Document, load_file, load_text
from .model_errors import validation_diagnostics
from .resolve import resolve
from .spec.pipeline import API_VERSION, PipelineSpec
from .spec.tasks import PipelineRunTask
from .targets.registry import get_target, target_names
from .validate import raw_dependency_diagnostics, secret_diagnostics, semantic_diagnostics

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass
class Loaded:
    file: str
    ir: PipelineIR | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    raw_name: str | None = None  # the `name:` written in the file, even when the spec is invalid

    @property
    def name(self) -> str | None:
        return self.ir.name if self.ir is not None else self.raw_name

    @property
    def ok(self) -> bool:
        return self.ir is not None and not has_errors(self.diagnostics)


def _version_check(doc: Document) -> list[Diagnostic]:
    version = doc.data.get("apiVersion")
    if version is None or version == API_VERSION:
        return []
    mark = doc.locate(("apiVersion",))
    return [
        Diagnostic(
            doc.file,
            mark.line,
            mark.column,
            Severity.ERROR,
            "PS020",
            f"unsupported apiVersion {version!r}",
            path=("apiVersion",),
            hint=f"this pipespec reads '{API_VERSION}'",
        )
    ]


def _raw_name(doc: Document) -> str | None:
    name = doc.data.get("name")
    return name if isinstance(name, str) else None


def compile_document(doc: Document, targets: Sequence[str] | None = None) -> Loaded:
    diags = _version_check(doc)
    if diags:
        return Loaded(doc.file, None, diags)
    leaked = secret_diagnostics(doc)
    try:
        spec = PipelineSpec.model_validate(doc.data)
    except ValidationError as exc:
        found = leaked + validation_diagnostics(exc, PipelineSpec, doc) + raw_dependency_diagnostics(doc)
        return Loaded(doc.file, None, sort_diagnostics(found), _raw_name(doc))
    diags = leaked + semantic_diagnostics(spec, doc)
    if has_errors(diags):
        return Loaded(doc.file, None, sort_diagnostics(diags), spec.name)
    ir = resolve(spec, doc)
    for name in sorted(ir.targets):
        if targets is not None and name not in targets:
            continue
        diags.extend(get_target(name).check(ir))
    return Loaded(doc.file, ir, sort_diagnostics(diags))


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    # Loading builds many small, long-lived objects and no reference cycles; the cyclic GC would
    # rescan them again and again (measured: 5,000 tasks 632 ms with it, 359 ms without; validation
    # turned superlinear past ~1,000 tasks). Pause it for the load and restore the caller's state.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_pipeline(path: str | Path, targets: Sequence[str] | None = None) -> Loaded:
    with _no_gc_pauses():
        try:
            doc = load_file(path)
        except SpecError as exc:
            return Loaded(str(path), None, exc.diagnostics)
        return compile_document(doc, targets)


def load_string(text: str, file: str = "<string>", targets: Sequence[str] | None = None) -> Loaded:
    with _no_gc_pauses():
        try:
            doc = load_text(text, file)
        except SpecError as exc:
            return Loaded(file, None, exc.diagnostics)
        return compile_document(doc, targets)


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Spec files under the given files/folders, sorted, each once."""
    found: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.update(f for f in p.rglob("*") if f.is_file() and f.suffix in SPEC_SUFFIXES)
        else:
            found.add(p)
    return sorted(found)


def load_project(paths: Iterable[str | Path], targets: Sequence[str] | None = None) -> list[Loaded]:
    """Every spec under `paths`, plus checks across files (unique names, pipeline references)."""
    loaded = [load_pipeline(p, targets) for p in discover(paths)]
    by_name: dict[str, Loaded] = {}
    for item in loaded:
        if item.ir is None:
            continue
        first = by_name.setdefault(item.ir.name, item)
        if first is not item:
            item.diagnostics.append(
                Diagnostic(
                    item.file,
                    1,
                    1,
                    Severity.ERROR,
                    "PS250",
                    f"pipeline name {item.ir.name!r} is also used by {first.file}",
                    path=("name",),
                    hint="pipeline names are deployment names and must be unique",
                )
            )
    # One channel id means one channel everywhere (PS600), and what a platform's channel needs.
    from .notify_plan import merge_channels, plan_databricks

    irs = [item.ir for item in loaded if item.ir is not None]
    channels, origins, conflicts = merge_channels(irs)
    cross = list(conflicts)
    for ir in irs:
        if "databricks" in ir.targets:
            mine = {cid: ch for cid, ch in channels.items() if cid in ir.channels}
            cross += plan_databricks(mine, Environment(), origins)[1]
    for d in sort_diagnostics(cross):
        for item in loaded:
            if item.file == d.file and d not in item.diagnostics:
                item.diagnostics.append(d)
    names = set(by_name)
    for item in loaded:
        if item.ir is None:
            continue
        for task in item.ir.tasks:
            if isinstance(task.spec, PipelineRunTask) and task.spec.pipeline not in names:
                item.diagnostics.append(
                    Diagnostic(
                        task.source.file,
                        task.source.line,
                        task.source.column,
                        Severity.WARNING,
                        "PS251",
                        f"task {task.id!r} runs pipeline {task.spec.pipeline!r}, which is not among the loaded specs",
                        path=("tasks", task.id, "pipeline"),
                        hint="check the name, or validate the folder that holds it",
                    )
                )
        item.diagnostics = sort_diagnostics(item.diagnostics)
    return loaded


def known_targets() -> list[str]:
    return target_names()
