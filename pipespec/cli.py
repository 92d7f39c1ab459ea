"""The `pipespec` command line. Exit codes: 0 valid, 1 invalid input, 2 usage error."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console

from .dag import critical_path
from .diagnostics import Diagnostic, Severity
from .durations import format_duration
from .project import Loaded, discover, load_pipeline, load_project
from .targets.registry import target_names

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

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
    files = tgt.render(loaded.ir)
    dest = Path(out_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        (dest / f.filename).write_text(f.content, encoding="utf-8")
        out.print(f"wrote {dest / f.filename}")
    for line in tgt.summary(loaded.ir):
        out.print(line)


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
        err.print(f"[bold red]internal error:[/bold red] {type(exc).__name__}: {exc}")
        err.print("this is a bug in pipespec; please report it with the spec that caused it")
        sys.exit(EXIT_INVALID)


if __name__ == "__main__":  # pragma: no cover
    main()
