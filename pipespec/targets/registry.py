"""Registry of targets, by name. Imported lazily so `validate` stays fast."""

from __future__ import annotations

import importlib
from functools import cache

from .base import Target

# name -> module that defines `TARGET`
_MODULES = {
    "databricks": "pipespec.targets.databricks.target",
    "stepfunctions": "pipespec.targets.stepfunctions.target",
    "composer": "pipespec.targets.composer.target",
    "glue": "pipespec.targets.glue.target",
    "dbtcloud": "pipespec.targets.dbtcloud.target",
    "fabric": "pipespec.targets.fabric.target",
    "mwaa": "pipespec.targets.mwaa.target",
}

# Targets a spec without a `targets:` block deploys to: the general-purpose orchestrators.
DEFAULT_TARGETS = ("composer", "databricks", "stepfunctions")


def target_names() -> list[str]:
    return sorted(_MODULES)


@cache
def get_target(name: str) -> Target:
    if name not in _MODULES:
        raise KeyError(name)
    module = importlib.import_module(_MODULES[name])
    target: Target = module.TARGET
    return target
