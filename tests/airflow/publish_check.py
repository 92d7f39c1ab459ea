"""Runs INSIDE an Airflow venv: call a generated DAG file's alert publisher with the real google provider.

    python tests/airflow/publish_check.py <dag_file.py>

PubSubHook.publish and the Cloud Logging client are replaced by recorders (no network), after checking
that the real `PubSubHook.publish` accepts the arguments the DAG passes. Prints what was published.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import sys
from typing import Any

os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.pop("PIPESPEC_ALERTS_FILE", None)  # the real path, not the test hook


def main() -> int:
    from airflow.providers.google.cloud.hooks import pubsub
    from google.cloud import logging as cloud_logging

    published: list[dict[str, Any]] = []
    logged: list[dict[str, Any]] = []
    signature = inspect.signature(pubsub.PubSubHook.publish)

    def publish(self: Any, *args: Any, **kwargs: Any) -> None:
        signature.bind(self, *args, **kwargs)  # raises if the DAG passes arguments the hook does not take
        published.append({"conn": self.gcp_conn_id, **kwargs})

    class Logger:
        def __init__(self, name: str, project: str | None) -> None:
            self.name, self.project = name, project

        def log_struct(self, info: dict[str, Any], severity: str) -> None:
            logged.append({"log": self.name, "project": self.project, "severity": severity, "entry": info})

    class Client:
        def __init__(self, project: str | None = None) -> None:
            self.project = project

        def logger(self, name: str) -> Logger:
            return Logger(name, self.project)

    pubsub.PubSubHook.publish = publish  # type: ignore[method-assign]
    cloud_logging.Client = Client  # type: ignore[misc,assignment]
    spec = importlib.util.spec_from_file_location("generated_dag", sys.argv[1])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    error = RuntimeError("boom " * 1000)
    callback = module._on_failure(("ops", "data"))
    callback({"exception": error, "ti": None})
    for item in published:
        for message in item["messages"]:
            message["data"] = json.loads(message["data"].decode())
    print(json.dumps({"published": published, "logged": logged}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
