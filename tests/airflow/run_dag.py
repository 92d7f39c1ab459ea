"""Runs INSIDE an Airflow venv: run one generated DAG with `dag.test()` and print the outcome as JSON.

    AIRFLOW_HOME=<tmp> python tests/airflow/run_dag.py <dag_file.py>

The metadata DB in AIRFLOW_HOME must exist (`airflow db migrate`). Task commands are swapped for
local stand-ins only through the documented test hook (the file is rendered with `stand_ins=True`;
$PIPESPEC_STAND_INS, $PIPESPEC_STAND_IN_LOG and $PIPESPEC_ALERTS_FILE are read at execute time).
Prints {"run_state", "task_states", "tries"} on the last line of stdout.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def _dagbag(path: str) -> Any:
    try:  # Airflow 3
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=path, safe_mode=False)


def _state(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def main() -> int:
    bag = _dagbag(sys.argv[1])
    if bag.import_errors:
        print(json.dumps({"import_errors": {k: str(v) for k, v in bag.import_errors.items()}}))
        return 1
    (dag,) = bag.dags.values()
    try:  # Airflow 3 runs only serialized DAGs: parse through the bundle and sync to the DB, as `airflow dags test`
        from airflow.utils.cli import get_bagged_dag

        dag = get_bagged_dag(bundle_names=None, dag_id=dag.dag_id, dagfile_path=sys.argv[1])
    except ImportError:  # Airflow 2 runs the parsed DAG object
        pass
    run = dag.test()
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter(TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == run.run_id)
        states = {ti.task_id: _state(ti.state) for ti in tis}
        tries = {ti.task_id: ti.try_number for ti in tis}
        run_state = _state(run.state)
    print(json.dumps({"run_state": run_state, "task_states": states, "tries": tries}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
