"""What the three alerting components share: secrets read from stack config, tags, labels, errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pulumi
from pulumi.runtime.config import is_config_secret

from pipespec.diagnostics import Diagnostic
from pipespec.environment import Environment
from pipespec.notify_plan import qualified_key


def fail_on_errors(component: str, diagnostics: Iterable[Diagnostic]) -> None:
    """Stop before any resource exists when the plan has errors (printed like the CLI prints them)."""
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise pulumi.RunError(f"{component}: " + "\n".join(d.format() for d in errors))


def require_secrets(needed: Mapping[str, str]) -> dict[str, pulumi.Output[str]]:
    """Read config secrets (key -> what it is for). Every problem is reported at once, before any resource
    is created: a missing key, or a value stored in plain text in the stack file."""
    problems: list[str] = []
    found: dict[str, pulumi.Output[str]] = {}
    for key, what in sorted(needed.items()):
        full = qualified_key(key)
        namespace, _, name = full.partition(":")
        value = pulumi.Config(namespace).get_secret(name)
        if value is None:
            problems.append(f"missing config secret {full} ({what}): run `pulumi config set --secret {full} <value>`")
        elif not is_config_secret(full):
            problems.append(
                f"config value {full} ({what}) is stored in plain text in the stack file: run "
                f"`pulumi config rm {full}` then `pulumi config set --secret {full} <value>`"
            )
        else:
            found[key] = value
    if problems:
        raise pulumi.RunError("alerting secrets are not set up:\n  " + "\n  ".join(problems))
    return found


def aws_tags(env: Environment) -> dict[str, str]:
    return {"pipespec-environment": env.name, **env.tags}


def gcp_labels(env: Environment) -> dict[str, str]:
    """Tags as GCP labels: lowercase letters, digits, `_` and `-`, at most 63 characters."""

    def clean(text: str) -> str:
        return re.sub(r"[^a-z0-9_-]", "_", text.lower())[:63]

    labels = {clean(k): clean(v) for k, v in sorted(env.tags.items()) if clean(k)[:1].isalpha()}
    return {"pipespec-environment": clean(env.name), **labels}
