"""The `pipespec` command line. Exit codes: 0 valid, 1 invalid input, 2 usage error."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console

from .dag import critical_path
from .diagnostics import Diagnostic, Severity, SpecError
from .durations import format_duration
from .project import Loaded, discover, load_pipeline, load_project
from .targets.registry import target_names

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def print_diagnostic(d: Diagnostic) -> None:
    where = f"{d.file}:{d.line}:{d.column}" if d.line else d.file
    at = f" [dim](at {d.dotted_path})[/dim]" if d.path else ""
    tgt = f" [dim]\\[{d.target}][/dim]" if d.target else ""
    err.print(
        f"[bold]{where}[/bold]: [{_STYLE[d.severity]}]{d.severity.value}[{d.code}][/{_STYLE[d.severity]}]: "
        f"{_escape(d.message)}{at}{tgt}"
    )
    if d.hint:
        err.print(f"  [green]hint:[/green] {_escape(d.hint)}")


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def report(results: Sequence[Loaded], *, strict: bool = False) -> int:
    errors = warnings = 0
    for item in results:
        for d in item.diagnostics:
            print_diagnostic(d)
            errors += d.severity is Severity.ERROR
            warnings += d.severity is Severity.WARNING
    return EXIT_INVALID if errors or (strict and warnings) else EXIT_OK


def _require_one(path: str, targets: Sequence[str] | None = None) -> Loaded:
    loaded = load_pipeline(path, targets)
    if not loaded.ok:
        report([loaded])
        raise SystemExit(EXIT_INVALID)
    for d in loaded.diagnostics:
        print_diagnostic(d)
    return loaded


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="pipespec")
def cli() -> None:
    """One pipeline spec, deployed natively to Databricks, AWS Step Functions and Cloud Composer.

    \b
    Typical use:
      pipespec validate pipelines/
      pipespec graph pipelines/medallion_daily_refresh.yaml --format mermaid
      pipespec render pipelines/medallion_daily_refresh.yaml --target databricks --out build/
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--target",
    "targets",
    multiple=True,
    type=click.Choice(target_names()),
    help="Check only these targets (default: the targets each pipeline lists).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help="Print diagnostics as JSON on stdout.")
def validate(paths: tuple[str, ...], targets: tuple[str, ...], strict: bool, as_json: bool) -> None:
    """Validate pipeline specs (files or folders); report every problem at once.

    Exit status 0 when valid, 1 when any spec has an error (or a warning with --strict).
    """
    files = discover(paths)
    if not files:
        err.print(f"[red]error:[/red] no .yaml/.yml pipeline specs under {', '.join(paths)}")
        raise SystemExit(EXIT_USAGE)
    results = load_project(paths, list(targets) or None)
    if as_json:
        payload = [
            {"file": r.file, "valid": r.ok, "diagnostics": [d.as_dict() for d in r.diagnostics]} for r in results
        ]
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
        bad = any(not r.ok for r in results) or (strict and any(r.diagnostics for r in results))
        raise SystemExit(EXIT_INVALID if bad else EXIT_OK)
    code = report(results, strict=strict)
    for r in results:
        if r.ok and r.ir is not None:
            cp = critical_path(r.ir.deps, r.ir.durations)
            out.print(
                f"[green]✔[/green] {r.file}: pipeline [bold]{r.ir.name}[/bold], {len(r.ir.tasks)} tasks, "
                f"targets {', '.join(sorted(r.ir.targets))}, critical path {format_duration(cp.length)}"
            )
        else:
            out.print(f"[red]✘[/red] {r.file}")
    n_err = sum(d.severity is Severity.ERROR for r in results for d in r.diagnostics)
    n_warn = sum(d.severity is Severity.WARNING for r in results for d in r.diagnostics)
    out.print(f"{len(results)} file(s): {n_err} error(s), {n_warn} warning(s)")
    raise SystemExit(code)


@cli.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.option("--reduce", is_flag=True, help="Hide edges implied by longer paths (transitive reduction).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
def graph(spec: str, fmt: str, reduce: bool, out_file: str | None) -> None:
    """Draw the DAG of SPEC (Mermaid or Graphviz dot), critical path highlighted."""
    from .graph import to_dot, to_mermaid

    loaded = _require_one(spec, targets=[])
    assert loaded.ir is not None
    text = to_mermaid(loaded.ir, reduce=reduce) if fmt == "mermaid" else to_dot(loaded.ir, reduce=reduce)
    if out_file:
        Path(out_file).write_text(text, encoding="utf-8")
        err.print(f"wrote {out_file}")
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
@click.option("--check", is_flag=True, help="Exit 1 if --out differs from the current schema (for CI).")
def schema(out_file: str | None, check: bool) -> None:
    """Print the JSON Schema of the spec (editors use it to validate and autocomplete YAML)."""
    from .schema import schema_text

    text = schema_text()
    if not out_file:
        click.echo(text, nl=False)
        return
    path = Path(out_file)
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            err.print(f"[red]{out_file} is out of date[/red]: run `pipespec schema --out {out_file}`")
            raise SystemExit(EXIT_INVALID)
        return
    path.write_text(text, encoding="utf-8")
    err.print(f"wrote {out_file}")


@cli.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--target", "target", required=True, type=click.Choice(target_names()))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
def render(spec: str, target: str, out_dir: str) -> None:
    """Compile SPEC for one target and write its native document(s) into --out."""
    from .targets.registry import get_target

    loaded = _require_one(spec, targets=[target])
    assert loaded.ir is not None
    if target not in loaded.ir.targets:
        err.print(
            f"[red]error:[/red] pipeline {loaded.ir.name!r} does not list target {target!r} "
            f"(it lists: {', '.join(sorted(loaded.ir.targets))})"
        )
        raise SystemExit(EXIT_INVALID)
    tgt = get_target(target)
    try:
        files = tgt.render(loaded.ir)
    except SpecError as exc:  # problems only the compiler sees (e.g. a setting the stack must give)
        report([Loaded(loaded.file, loaded.ir, list(exc.diagnostics))])
        raise SystemExit(EXIT_INVALID) from None
    dest = Path(out_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        (dest / f.filename).write_text(f.content, encoding="utf-8")
        out.print(f"wrote {dest / f.filename}")
    for line in tgt.summary(loaded.ir):
        out.print(line)


@cli.command()
@click.option("--stack", required=True, help="Stack name: reads Pulumi.<stack>.yaml.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder (default build/<stack>).")
@click.option(
    "--project-dir",
    type=click.Path(exists=True, file_okay=False),
    default=".",
    show_default=True,
    help="Folder holding Pulumi.yaml.",
)
@click.option("--quiet", is_flag=True, help="Do not print the resource tree.")
def synth(stack: str, out_dir: str | None, project_dir: str, quiet: bool) -> None:
    """Run the Pulumi program offline (mock engine: no cloud account, no Pulumi CLI) and write
    every resource it would register, its outputs and the generated documents.

    Every spec and the stack config are validated first: one problem means nothing is
    registered, and every problem is listed.
    """
    from .stack import StackConfigError

    try:
        from components.offline import synth as run_synth
        from components.offline import tree_lines
    except ImportError as exc:  # pragma: no cover - only without the pulumi extra
        err.print(f"[red]error:[/red] synth needs the Pulumi SDKs: pip install 'pipespec[pulumi]' ({exc})")
        raise SystemExit(EXIT_USAGE) from None
    dest = Path(out_dir or f"build/{stack}")
    try:
        result = run_synth(Path(project_dir).resolve(), stack, dest.resolve())
    except StackConfigError as exc:
        for d in exc.diagnostics:
            print_diagnostic(d)
        err.print(f"[red]✘[/red] stack {stack!r}: {len(exc.diagnostics)} problem(s); nothing was registered")
        raise SystemExit(EXIT_INVALID) from None
    for d in result.plan.warnings:
        print_diagnostic(d)
    if not quiet:
        for line in tree_lines(result.run):
            out.print(_escape(line))
    docs = sum(len(u.documents) for u in result.plan.units)
    out.print(
        f"[green]✔[/green] stack [bold]{stack}[/bold]: {len(result.run.resources)} resources, "
        f"{len(result.plan.units)} pipeline deployment(s), {docs} document(s) → {dest}"
    )


@cli.command()
@click.argument("dirs", nargs=-1, type=click.Path(exists=True, file_okay=False))
@click.option("--stack", "stacks", multiple=True, help="Compare two stacks instead (give --stack twice).")
@click.option("--title", default=None, help="Heading of the Markdown summary.")
@click.option("--project-dir", type=click.Path(exists=True, file_okay=False), default=".", show_default=True)
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write the Markdown to a file.")
def diff(
    dirs: tuple[str, ...], stacks: tuple[str, ...], title: str | None, project_dir: str, out_file: str | None
) -> None:
    """Markdown summary of what changes between two synth outputs (OLD_DIR NEW_DIR), ready to
    post on a pull request; or, with --stack A --stack B, what promotion from A to B changes."""
    from .review import SynthOutput, compare, to_markdown

    if bool(dirs) == bool(stacks) or (dirs and len(dirs) != 2) or (stacks and len(stacks) != 2):
        err.print("[red]error:[/red] give two synth folders (OLD_DIR NEW_DIR) or --stack A --stack B")
        raise SystemExit(EXIT_USAGE)
    if stacks:
        import tempfile

        from components.offline import synth as run_synth

        from .stack import StackConfigError

        tmp = Path(tempfile.mkdtemp(prefix="pipespec-diff-"))
        try:
            for name in stacks:
                run_synth(Path(project_dir).resolve(), name, tmp / name)
        except StackConfigError as exc:
            for d in exc.diagnostics:
                print_diagnostic(d)
            raise SystemExit(EXIT_INVALID) from None
        old = SynthOutput.read(tmp / stacks[0], normalize_stack=True)
        new = SynthOutput.read(tmp / stacks[1], normalize_stack=True)
        heading = title or f"What promoting {stacks[0]} → {stacks[1]} changes"
    else:
        try:
            old, new = SynthOutput.read(Path(dirs[0])), SynthOutput.read(Path(dirs[1]))
        except FileNotFoundError as exc:
            err.print(f"[red]error:[/red] not a synth output folder: {exc.filename}")
            raise SystemExit(EXIT_USAGE) from None
        heading = title or f"Changes from {dirs[0]} to {dirs[1]}"
    text = to_markdown(compare(old, new), heading)
    if out_file:
        Path(out_file).write_text(text, encoding="utf-8")
        err.print(f"wrote {out_file}")
    else:
        click.echo(text, nl=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: no traceback ever reaches the user."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="pipespec", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # pragma: no cover - the last line of defence
        if os.environ.get("PIPESPEC_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/bold red] {type(exc).__name__}: {exc}")
        err.print(
            "this is a bug in pipespec; please report it with the spec that caused it (PIPESPEC_DEBUG=1 shows where)"
        )
        sys.exit(EXIT_INVALID)


if __name__ == "__main__":  # pragma: no cover
    main()
