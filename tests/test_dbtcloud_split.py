"""The dbt Cloud job split keeps exactly the dependency order of the dbt tasks.

The order a split imposes is recomputed here from the jobs alone (a task waits for the steps
before it in its job and for every job upstream of its job) and compared with the DAG's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipespec.project import load_string
from pipespec.targets.dbtcloud.compile import plan
from pipespec.targets.dbtcloud.split import SUCCESS, Split, SplitTask, split_jobs

ROOT = Path(__file__).resolve().parent.parent


def ancestors(tasks: Sequence[SplitTask]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for t in tasks:
        out[t.id] = set(t.deps).union(*(out[d] for d in t.deps))
    return out


def waits_from_jobs(split: Split) -> dict[str, set[str]]:
    """What finished before each task starts, from the job structure only."""
    jobs = {j.key: j for j in split.jobs}
    out: dict[str, set[str]] = {}
    for job in split.jobs:
        before: set[str] = set()
        up = job.upstream
        while up is not None:
            before |= set(jobs[up].tasks)
            up = jobs[up].upstream
        for step in job.steps:
            for t in step:
                out[t] = set(before)
            before |= set(step)
    return out


def assert_split_keeps_order(tasks: Sequence[SplitTask], split: Split) -> None:
    by_id = {t.id: t for t in tasks}
    anc = ancestors(tasks)
    placed = [t for j in split.jobs for t in j.tasks]
    assert sorted(placed) == sorted(by_id), "every task in exactly one job"
    keys = {j.key for j in split.jobs}
    assert len(keys) == len(split.jobs)
    waits = waits_from_jobs(split)
    assert {t: set(w) for t, w in split.waits.items()} == waits
    for t in tasks:
        assert anc[t.id] <= waits[t.id], f"{t.id} may start before its upstreams {anc[t.id] - waits[t.id]}"
    added = {(a, b) for b in by_id for a in waits[b] - anc[b]}
    assert added == set(split.added), "every ordering the DAG does not have is reported"
    for job in split.jobs:
        assert job.upstream is None or job.upstream in keys
        assert len({by_id[t].job_key for t in job.tasks}) == 1, "one dbt target per job"
        head = job.steps[0]
        assert job.statuses == (() if job.upstream is None else by_id[head[0]].statuses)
        for i, step in enumerate(job.steps):
            assert len({by_id[t].merge_key for t in step}) == 1, "one command per step"
            assert all(a not in anc[b] for a in step for b in step), "a step runs only independent tasks"
            if i:
                assert all(by_id[t].chained for t in step), "a task on failure starts its own job"


@st.composite
def dags(draw: st.DrawFn) -> list[SplitTask]:
    n = draw(st.integers(1, 12))
    tasks: list[SplitTask] = []
    for i in range(n):
        deps = tuple(sorted({f"t{j:02d}" for j in range(i) if draw(st.booleans()) and draw(st.booleans())}))
        statuses = draw(st.sampled_from([SUCCESS] * 4 + [("error",), ("error", "success")])) if deps else SUCCESS
        tasks.append(
            SplitTask(
                f"t{i:02d}",
                deps,
                draw(st.sampled_from(["run", "run", "test", "seed"])),
                draw(st.sampled_from(["prod"] * 5 + ["dev"])),
                statuses,
            )
        )
    return tasks


@settings(max_examples=400, deadline=None)
@given(dags())
def test_random_dags_keep_every_dependency_and_report_every_added_order(tasks: list[SplitTask]) -> None:
    split = split_jobs(tasks)
    if split.unplaceable:  # failure handlers joining parallel failure branches: reported as an error
        return
    assert_split_keeps_order(tasks, split)


@st.composite
def step_trees(draw: st.DrawFn) -> tuple[list[SplitTask], int]:
    """DAGs that dbt Cloud can express exactly: a forest of steps, each step a group of twin tasks.

    Returns the tasks and the number of jobs every exact split needs: one per root step, per step
    whose parent has other children, per step that runs on failure, and per change of target.
    """
    n = draw(st.integers(1, 10))
    parents: list[int | None] = []
    for i in range(n):
        parents.append(draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None)
    status = [parents[i] is not None and draw(st.integers(0, 4)) == 0 for i in range(n)]
    target = [draw(st.sampled_from(["prod", "prod", "prod", "ci"])) for _ in range(n)]
    sizes = [draw(st.integers(1, 3)) for _ in range(n)]
    names = [[f"s{i}_{k}" for k in range(sizes[i])] for i in range(n)]
    tasks = [
        SplitTask(
            name,
            tuple(names[p]) if (p := parents[i]) is not None else (),
            f"cmd{i}",
            target[i],
            ("error",) if status[i] else SUCCESS,
        )
        for i in range(n)
        for name in names[i]
    ]
    children = [[j for j in range(n) if parents[j] == i] for i in range(n)]
    starts = sum(
        1 for i in range(n) if (p := parents[i]) is None or len(children[p]) != 1 or status[i] or target[i] != target[p]
    )
    return sorted(tasks, key=lambda t: t.id), starts


@settings(max_examples=300, deadline=None)
@given(step_trees())
def test_dags_dbt_cloud_can_express_are_split_exactly_with_the_fewest_jobs(tree: tuple[list[SplitTask], int]) -> None:
    tasks, fewest = tree
    order = {t.id: i for i, t in enumerate(tasks)}
    tasks = sorted(tasks, key=lambda t: (max((order[d] for d in t.deps), default=-1), t.id))  # topological
    split = split_jobs(_topological(tasks))
    assert_split_keeps_order(tasks, split)
    assert split.added == () and split.unplaceable == ()
    assert len(split.jobs) == fewest
    # a task on failure hears its own job's failures only: earlier jobs stop the chain (reported, never hidden)
    by_id = {t.id: t for t in tasks}
    for note in split.notes:
        assert not by_id[note.task].chained and note.extra == () and note.missed


def _topological(tasks: list[SplitTask]) -> list[SplitTask]:
    done: set[str] = set()
    out: list[SplitTask] = []
    pending = sorted(tasks, key=lambda t: t.id)
    while pending:
        ready = [t for t in pending if set(t.deps) <= done]
        out += ready
        done |= {t.id for t in ready}
        pending = [t for t in pending if t.id not in done]
    return out


def test_the_medallion_dbt_part_is_one_job_whose_dimensions_share_a_step() -> None:
    text = (ROOT / "pipelines" / "medallion_daily_refresh.yaml").read_text(encoding="utf-8")
    ir = load_string(text, "m.yaml").ir
    assert ir is not None
    dbt = [t for t in ir.tasks if t.kind == "dbt"]
    tasks = [
        SplitTask(t.id, tuple(d for d in t.depends_on if d in {x.id for x in dbt}), t.spec.command, "prod")  # type: ignore[union-attr]
        for t in dbt
    ]
    split = split_jobs(tasks)
    assert_split_keeps_order(tasks, split)
    [job] = split.jobs
    assert job.steps == (
        ("silver_transform",),
        ("silver_quality_check",),
        ("gold_dim_customer", "gold_dim_date", "gold_dim_product"),
        ("gold_fct_order_line",),
        ("gold_quality_check",),
    )
    assert split.added == ()


def test_a_join_of_different_commands_orders_the_cheaper_branch_and_says_so() -> None:
    tasks = [
        SplitTask("a", (), "run", "prod"),
        SplitTask("b", (), "seed", "prod"),
        SplitTask("c", ("a", "b"), "run", "prod"),
        SplitTask("d", ("b",), "test", "prod"),
    ]
    split = split_jobs(tasks)
    assert_split_keeps_order(tasks, split)
    # b first: only a now waits for b; a first would also make d wait for a
    assert split.added == (("b", "a"),)
    assert [(j.key, j.steps, j.upstream) for j in split.jobs] == [
        ("b", (("b",),), None),
        ("a", (("a",), ("c",)), "b"),
        ("d", (("d",),), "b"),
    ]


def test_a_failure_handler_gets_its_own_job_triggered_on_error() -> None:
    text = """
apiVersion: pipespec/v1
name: p
owner: t
targets: {dbtcloud: {}}
tasks:
  run: {kind: dbt, command: run}
  test: {kind: dbt, command: test, depends_on: [run]}
  docs: {kind: dbt, command: run, select: docs_models, depends_on: [test]}
  cleanup: {kind: dbt, command: run, select: cleanup, depends_on: [test], trigger_rule: one_failed}
"""
    ir = load_string(text).ir
    assert ir is not None
    split = plan(ir)
    jobs = {j.key: j for j in split.jobs}
    assert jobs["run"].steps == (("run",), ("test",))
    assert (jobs["docs"].upstream, jobs["docs"].statuses) == ("run", SUCCESS)
    assert (jobs["cleanup"].upstream, jobs["cleanup"].statuses) == ("run", ("error",))
    assert split.notes == ()  # the upstream job holds exactly the handler's upstreams
