"""The corpus of bad specs: each file states the diagnostics it must produce.

Header lines `# expect: CODE LINE:COL text` (alternatives split by `|`) and
`# expect: HINT text` are read from each file in tests/bad_specs/; files that cannot hold a
comment keep them in a sidecar `<name>.expect`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipespec.diagnostics import Diagnostic
from pipespec.project import load_pipeline

CORPUS = Path(__file__).parent / "bad_specs"
FILES = sorted(CORPUS.glob("*.yaml"))
_EXPECT = re.compile(r"^(?:# expect: )?(PS\d+|HINT)(?: (\d+):(\d+))? (.*)$")


def expectations(path: Path) -> list[tuple[str, int | None, int | None, list[str]]]:
    sidecar = path.with_suffix(".expect")
    raw = sidecar.read_text() if sidecar.exists() else path.read_bytes().decode("utf-8", "replace")
    out = []
    for line in raw.splitlines():
        if sidecar.exists() or line.startswith("# expect: "):
            m = _EXPECT.match(line.strip())
            assert m, f"unreadable expectation in {path.name}: {line!r}"
            code, ln, col, text = m.groups()
            out.append((code, int(ln) if ln else None, int(col) if col else None, text.split("|")))
        elif out:
            break
    return out


def test_corpus_is_large_enough() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_bad_spec_reports_expected_diagnostics(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} states no expectation"
    result = load_pipeline(path)
    assert not result.ok
    errors = [d for d in result.diagnostics if d.is_error]
    assert errors, "a bad spec must produce at least one error"
    for d in result.diagnostics:
        assert d.file == str(path)

    def shown(d: Diagnostic) -> str:
        return d.format()

    for code, line, col, texts in expected:
        if code == "HINT":
            assert any(any(t in d.hint for t in texts) for d in result.diagnostics), (
                f"no hint containing {texts} in:\n" + "\n".join(map(shown, result.diagnostics))
            )
            continue
        matches = [
            d
            for d in result.diagnostics
            if d.code == code
            and (line is None or (d.line, d.column) == (line, col))
            and any(t in d.message for t in texts)
        ]
        assert matches, f"expected {code} at {line}:{col} with {texts}; got:\n" + "\n".join(
            map(shown, result.diagnostics)
        )


def test_cli_reports_every_bad_file_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipespec", "validate", str(CORPUS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    for path in FILES:
        assert f"✘ {path}" in proc.stdout
