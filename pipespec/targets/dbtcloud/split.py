"""A DAG of dbt tasks -> dbt Cloud jobs: ordered steps, linked by job completion triggers.

What dbt Cloud can express:

- a job runs its steps one after another and stops at the first failing step;
- one step (`dbt run --select a b c`) runs several selections at once, and a failure in one of
  them does not stop the others (dbt skips only what depends on the failed node);
- a job can be triggered by the completion of *one* other job, with statuses (success, error).

So the tasks that finish before a task starts are exactly the tasks on its path from the root
of a tree of steps. The split keeps the DAG's meaning first, then uses the fewest jobs:

1. **Steps.** Tasks with the same ancestors and the same descendants (twins), the same command
   flags and the same job settings share one step: they run concurrently, as in the DAG.
2. **Tree.** Steps are inserted in topological order under their deepest upstream step. When a
   step's upstreams are on different branches (a join that dbt Cloud cannot wait for), the
   cheaper branch is moved under the other one: the fewest task pairs become ordered. Such
   added orderings are reported (`Split.added`); a DAG whose steps already form a tree gets none.
3. **Jobs.** A path of steps stays in one job while every step has exactly one following step
   of the same job settings. A job ends where the tree branches (siblings must not wait for
   each other, and a completion trigger fires only at the end of a job), before a task that
   runs on failure (it needs its own trigger with status `error`), and where the dbt target
   changes. Each of those boundaries is forced, so no split with fewer jobs keeps the order.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

SUCCESS: tuple[str, ...] = ("success",)


@dataclass(frozen=True)
class SplitTask:
    id: str
    deps: tuple[str, ...]
    merge_key: Hashable  # tasks with equal keys may share one step (same command and flags)
    job_key: Hashable  # tasks in one job must agree (the dbt target name)
    statuses: tuple[str, ...] = SUCCESS  # upstream job statuses that start this task

    @property
    def chained(self) -> bool:
        return self.statuses == SUCCESS


@dataclass(frozen=True)
class Job:
    key: str  # id of its first task: stable however the spec is reordered
    steps: tuple[tuple[str, ...], ...]
    upstream: str | None  # key of the job whose completion starts this one
    statuses: tuple[str, ...]  # upstream statuses that start it; () for root jobs

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(t for step in self.steps for t in step)


@dataclass(frozen=True)
class StatusNote:
    """Where a job triggered by another job's status differs from the task's trigger rule."""

    task: str
    extra: tuple[str, ...]  # their failure also starts the task (same upstream job, not its upstreams)
    missed: tuple[str, ...]  # their failure does not: they run in earlier jobs, which then stop the chain


@dataclass(frozen=True)
class Split:
    jobs: tuple[Job, ...]  # upstream jobs first, ties by key
    added: tuple[tuple[str, str], ...]  # (a, b): b now waits for a without depending on it
    waits: Mapping[str, frozenset[str]]  # tasks that have finished before each task starts
    notes: tuple[StatusNote, ...] = ()
    unplaceable: tuple[str, ...] = ()  # tasks on failure whose upstream branches cannot be joined
    _index: dict[str, Job] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({t: j for j in self.jobs for t in j.tasks})

    def job_of(self, task: str) -> Job:
        return self._index[task]

    def downstream(self, key: str) -> list[Job]:
        return [j for j in self.jobs if j.upstream == key]


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


class _Tree:
    """Steps under construction: parent pointers, moved only to add orderings, never to drop one."""

    def __init__(self) -> None:
        self.parent: dict[int, int | None] = {}
        self.kids: dict[int | None, set[int]] = {}

    def attach(self, node: int, parent: int | None) -> None:
        if node in self.parent:
            self.kids[self.parent[node]].discard(node)
        self.parent[node] = parent
        self.kids.setdefault(parent, set()).add(node)

    def path(self, node: int) -> list[int]:
        """node, its parent, …, its root."""
        out = [node]
        while (up := self.parent[out[-1]]) is not None:
            out.append(up)
        return out

    def subtree(self, root: int) -> list[int]:
        out, todo = [], [root]
        while todo:
            node = todo.pop()
            out.append(node)
            todo.extend(self.kids.get(node, ()))
        return out

    def branch(self, node: int, lca: int | None) -> tuple[int, list[int]]:
        """(root of node's branch below lca, the steps on the path from that root down to node)."""
        path = self.path(node)
        below = path[: path.index(lca)] if lca is not None else path
        return below[-1], below


def split_jobs(tasks: Sequence[SplitTask]) -> Split:
    """`tasks` in topological order (ties by id), every dependency among them."""
    pos = {t.id: i for i, t in enumerate(tasks)}
    by_id = {t.id: t for t in tasks}
    anc = [0] * len(tasks)
    for i, t in enumerate(tasks):
        for d in t.deps:
            if pos[d] >= i:
                raise ValueError(f"tasks are not in topological order: {d!r} after {t.id!r}")
            anc[i] |= anc[pos[d]] | (1 << pos[d])
    desc = [0] * len(tasks)
    for i in range(len(tasks) - 1, -1, -1):
        for d in tasks[i].deps:
            desc[pos[d]] |= desc[i] | (1 << i)

    # 1. Steps: twin tasks with the same command flags and job settings.
    classes: dict[tuple[object, ...], list[int]] = {}
    for i, t in enumerate(tasks):
        classes.setdefault((anc[i], desc[i], t.merge_key, t.job_key, t.statuses), []).append(i)
    nodes = sorted(classes.values(), key=lambda members: members[0])  # topological: twins share ancestors
    node_of = {m: n for n, members in enumerate(nodes) for m in members}
    head = [tasks[m[0]] for m in nodes]

    parents = [sorted({node_of[pos[d]] for m in members for d in tasks[m].deps}) for members in nodes]
    nanc = [0] * len(nodes)
    for n, ps in enumerate(parents):
        for p in ps:
            nanc[n] |= nanc[p] | (1 << p)
    reduced = [[p for p in ps if not any(q != p and (nanc[q] >> p) & 1 for q in ps)] for ps in parents]

    # 2. Tree: each step under its deepest upstream; joins are made a chain, the cheaper way.
    tree = _Tree()
    members_mask = [sum(1 << m for m in members) for members in nodes]

    def cost(path: list[int], root: int) -> int:
        """Task pairs newly ordered when the branch at `root` (and all that will follow it) waits for `path`."""
        first = sum(members_mask[n] for n in path)
        later = 0
        for n in tree.subtree(root):
            later |= members_mask[n]
            for m in nodes[n]:
                later |= desc[m]
        return sum((first & ~anc[b]).bit_count() for b in _bits(later))

    unplaceable: list[str] = []
    for n in range(len(nodes)):
        ups = reduced[n]
        while True:
            if not ups:
                tree.attach(n, None)
                break
            paths = {p: tree.path(p) for p in ups}
            deepest = max(ups, key=lambda p: (len(paths[p]), p))
            off = [p for p in ups if p not in paths[deepest]]
            if not off:
                tree.attach(n, deepest)
                break
            other = off[0]
            lca = next((x for x in paths[deepest] if x in paths[other]), None)
            root_a, path_a = tree.branch(deepest, lca)
            root_b, path_b = tree.branch(other, lca)
            cost_b = cost(path_a, root_b)  # b's branch moved under `deepest`
            cost_a = cost(path_b, root_a)
            movable = {r: head[r].chained for r in (root_a, root_b)}
            if not movable[root_a] and not movable[root_b]:
                unplaceable.append(head[n].id)
                tree.attach(n, deepest)
                break
            move_b = movable[root_b] and (not movable[root_a] or (cost_b, -root_b) <= (cost_a, -root_a))
            if move_b:
                tree.attach(root_b, deepest)
            else:
                tree.attach(root_a, other)

    children = {p: sorted(ks) for p, ks in tree.kids.items()}

    # 3. Jobs: a path stays in one job until it branches, runs on failure, or changes target.
    jobs: list[Job] = []
    waits_mask: dict[int, int] = {}
    todo: list[tuple[int, str | None, tuple[str, ...], int]] = [(r, None, (), 0) for r in children.get(None, [])]
    while todo:
        start, upstream, statuses, done = todo.pop(0)
        steps = [start]
        while True:
            kids = children.get(steps[-1], [])
            if len(kids) == 1 and head[kids[0]].chained and head[kids[0]].job_key == head[start].job_key:
                steps.append(kids[0])
            else:
                break
        key = tasks[nodes[start][0]].id
        for s in steps:
            waits_mask[s] = done
            done |= sum(1 << m for m in nodes[s])
        jobs.append(Job(key, tuple(tuple(tasks[m].id for m in nodes[s]) for s in steps), upstream, statuses))
        todo.extend((kid, key, head[kid].statuses, done) for kid in children.get(steps[-1], []))

    waits = {
        tasks[m].id: frozenset(tasks[b].id for b in _bits(waits_mask[n])) for n, ms in enumerate(nodes) for m in ms
    }
    added = sorted(
        ((a, t.id) for i, t in enumerate(tasks) for a in waits[t.id] if not (anc[i] >> pos[a]) & 1),
        key=lambda pair: (pos[pair[1]], pos[pair[0]]),
    )
    ordered = _upstream_first(jobs)
    return Split(
        tuple(ordered),
        tuple(added),
        waits,
        _notes(ordered, by_id, pos, anc),
        tuple(unplaceable),
    )


def _upstream_first(jobs: list[Job]) -> list[Job]:
    out: list[Job] = []
    level = sorted((j for j in jobs if j.upstream is None), key=lambda j: j.key)
    while level:
        out.extend(level)
        keys = {j.key for j in level}
        level = sorted((j for j in jobs if j.upstream in keys), key=lambda j: j.key)
    return out


def _notes(
    jobs: Sequence[Job], by_id: Mapping[str, SplitTask], pos: Mapping[str, int], anc: list[int]
) -> tuple[StatusNote, ...]:
    """For each job started by a status, compare who can start it with the trigger rule's upstreams."""
    names = sorted(pos, key=lambda t: pos[t])
    index = {j.key: j for j in jobs}
    out = []
    for job in jobs:
        if job.upstream is None or job.statuses == SUCCESS:
            continue
        first = job.steps[0]
        task = by_id[first[0]]
        meant = set()
        for t in first:
            meant |= {names[b] for b in _bits(anc[pos[t]])}
        upstream_tasks = set(index[job.upstream].tasks)
        extra = tuple(sorted(upstream_tasks - meant, key=pos.__getitem__))
        missed = tuple(sorted(meant - upstream_tasks, key=pos.__getitem__))
        if extra or missed:
            out.append(StatusNote(task.id, extra, missed))
    return tuple(out)
