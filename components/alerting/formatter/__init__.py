"""The alert formatter Lambda (SNS -> Slack / Teams / token webhooks) and what ships in its zip.

The zip holds the handler, `pipespec/alerts.py` and `pipespec/notify_plan/messages.py` (with empty
package stubs): the renderers need nothing beyond the standard library, so there is no layer to build.
"""

from __future__ import annotations

from pathlib import Path

import pipespec

HANDLER = "handler.handler"
RUNTIME = "python3.12"


def bundle_files() -> dict[str, str]:
    """Archive path -> file text, in a stable order."""
    core = Path(pipespec.__file__).parent
    return {
        "handler.py": (Path(__file__).parent / "handler.py").read_text(encoding="utf-8"),
        "pipespec/__init__.py": "",
        "pipespec/alerts.py": (core / "alerts.py").read_text(encoding="utf-8"),
        "pipespec/notify_plan/__init__.py": "",
        "pipespec/notify_plan/messages.py": (core / "notify_plan" / "messages.py").read_text(encoding="utf-8"),
    }
