"""One way to run mypy from a test: against the provider SDKs, with a cache per caller."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_mypy(*paths: str, cache: str, silent_imports: bool = False) -> subprocess.CompletedProcess[str]:
    """mypy on `paths` from the project root. `silent_imports`: imported modules lend their types
    but their own errors are not reported (for checking one file in isolation)."""
    args = [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache" / cache), "--no-error-summary"]
    if silent_imports:
        args.append("--follow-imports=silent")
    return subprocess.run([*args, *paths], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
