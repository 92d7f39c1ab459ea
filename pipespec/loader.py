"""Safe, bounded YAML loading that keeps a position for every node.

We drive PyYAML's *event* parser ourselves instead of ``yaml.safe_load`` because we need
things the stock loaders do not give: line/column for every value (for file:line
diagnostics), duplicate-key detection, an expansion budget against alias bombs, a nesting
limit enforced before anything recursive runs, and a hard refusal of every tag that could
construct objects. The event parser is iterative, so hostile nesting cannot blow the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from .diagnostics import Diagnostic, FieldPath, Severity, SpecError

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 500_000  # counted with aliases expanded: bounds what later stages walk

_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}

try:  # libyaml's parser is ~5x faster; the pure-Python one behaves the same
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class Document:
    """A loaded YAML file: plain data plus where each value (and key) was written."""

    file: str
    data: dict[str, Any]
    positions: dict[FieldPath, Mark] = field(default_factory=dict)
    key_positions: dict[FieldPath, Mark] = field(default_factory=dict)

    def locate(self, path: FieldPath, *, key: bool = False) -> Mark:
        """Best position for a field path: the node itself or its nearest written ancestor.

        Path elements that are not keys of the data (pydantic's union tags, for example)
        are skipped, so error locations from any stage map back onto the file.
        """
        real = self.real_path(path)
        table = self.key_positions if key else self.positions
        for n in range(len(real), -1, -1):
            mark = table.get(real[:n]) or self.positions.get(real[:n])
            if mark:
                return mark
        return Mark(1, 1)

    def real_path(self, path: FieldPath) -> FieldPath:
        node: Any = self.data
        out: list[str | int] = []
        for elem in path:
            if has_child(node, elem):
                node = node[elem]
                out.append(elem)
        return tuple(out)


def has_child(node: Any, elem: Any) -> bool:
    """Whether `elem` is a key of a mapping or a valid index of a list."""
    if isinstance(node, dict):
        return elem in node
    return isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node)


def _mark(m: Any) -> Mark:
    return Mark(m.line + 1, m.column + 1)


def _error(file: str, mark: Mark, code: str, message: str, hint: str = "") -> SpecError:
    return SpecError([Diagnostic(file, mark.line, mark.column, Severity.ERROR, code, message, (), hint)])


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.resolver = Resolver()
        self.constructor = SafeConstructor()
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, expanded size)
        self.nodes = 0
        self.positions: dict[FieldPath, Mark] = {}
        self.key_positions: dict[FieldPath, Mark] = {}

    def fail(self, mark: Mark, code: str, message: str, hint: str = "") -> SpecError:
        return _error(self.file, mark, code, message, hint)

    def count(self, n: int, mark: Mark) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise self.fail(
                mark,
                "PS007",
                f"document expands to more than {MAX_NODES:,} nodes (aliases counted in full)",
                "this looks like an alias bomb; write the data out or use fewer nested aliases",
            )

    def check_tag(self, tag: str | None, mark: Mark) -> None:
        if tag and tag != "!" and tag not in _ALLOWED_TAGS:
            raise self.fail(
                mark,
                "PS005",
                f"YAML tag {tag!r} is not allowed",
                "pipespec specs are plain data: remove the tag (only str, int, float, bool, null, map, seq)",
            )

    def scalar(self, ev: yaml.ScalarEvent) -> Any:
        self.check_tag(ev.tag, _mark(ev.start_mark))
        tag = ev.tag if ev.tag and ev.tag != "!" else self.resolver.resolve(ScalarNode, ev.value, ev.implicit)
        if ev.tag == "!":
            tag = _STD + "str"
        if tag not in _ALLOWED_TAGS:  # e.g. timestamps, binary: keep the text as written
            return ev.value
        try:
            node = ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark)  # type: ignore[arg-type]  # C marks work too
            return self.constructor.construct_object(node)
        except (ConstructorError, ValueError) as exc:
            raise self.fail(_mark(ev.start_mark), "PS004", f"invalid scalar {ev.value!r}: {exc}") from None

    def build(self, events: Any) -> tuple[Any, int]:
        """Build one document iteratively. Returns (value, expanded node count)."""
        # Each frame: [container, path, size, key-or-None, key mark, anchor, start mark]
        stack: list[list[Any]] = []
        root: Any = None
        root_size = 0
        for ev in events:
            if isinstance(ev, (yaml.StreamStartEvent, yaml.DocumentStartEvent)):
                continue
            if isinstance(ev, (yaml.StreamEndEvent, yaml.DocumentEndEvent)):
                continue
            mark = _mark(ev.start_mark)
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self.check_tag(ev.tag, mark)
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(mark, "PS006", f"nesting deeper than {MAX_DEPTH} levels", "flatten the document")
                path = self._child_path(stack, mark)
                container: Any = {} if isinstance(ev, yaml.MappingStartEvent) else []
                self.positions.setdefault(path, mark)
                self.count(1, mark)
                stack.append([container, path, 1, None, None, ev.anchor, mark])
                continue
            if isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                container, path, size, _k, _km, anchor, _m = stack.pop()
                if anchor:
                    self.anchors[anchor] = (container, size)
                value, value_size = container, size
            elif isinstance(ev, yaml.AliasEvent):
                if ev.anchor not in self.anchors:
                    raise self.fail(mark, "PS004", f"unknown alias *{ev.anchor}")
                value, value_size = self.anchors[ev.anchor]
                self.count(value_size, mark)
                self._child_path(stack, mark)
            elif isinstance(ev, yaml.ScalarEvent):
                if stack and isinstance(stack[-1][0], dict) and stack[-1][3] is None:
                    self._take_key(stack[-1], ev, mark)
                    continue
                value, value_size = self.scalar(ev), 1
                self.count(1, mark)
                path = self._child_path(stack, mark)
                if ev.anchor:
                    self.anchors[ev.anchor] = (value, 1)
            else:  # pragma: no cover - PyYAML emits no other events
                continue
            if not stack:
                root, root_size = value, value_size
                continue
            self._attach(stack[-1], value, value_size, mark)
        return root, root_size

    def _child_path(self, stack: list[list[Any]], mark: Mark) -> FieldPath:
        if not stack:
            return ()
        parent = stack[-1]
        container, path = parent[0], parent[1]
        if isinstance(container, dict):
            if parent[3] is None:
                raise self.fail(mark, "PS003", "mapping keys must be plain strings", "quote the key")
            child = (*path, parent[3])
        else:
            child = (*path, len(container))
        self.positions.setdefault(child, mark)
        return child

    def _take_key(self, frame: list[Any], ev: yaml.ScalarEvent, mark: Mark) -> None:
        key = self.scalar(ev)
        if ev.value == "<<" and ev.implicit[0]:
            key = "<<"
        elif not isinstance(key, str):
            raise self.fail(
                mark,
                "PS003",
                f"mapping key {ev.value!r} is not a string",
                f'quote it: "{ev.value}"',
            )
        container, path = frame[0], frame[1]
        if key in container and key != "<<":
            first = self.key_positions.get((*path, key), mark)
            raise self.fail(
                mark,
                "PS002",
                f"duplicate key {key!r} (first written at line {first.line})",
                "each key may appear once in a mapping; merge the two entries",
            )
        frame[3], frame[4] = key, mark
        self.key_positions[(*path, key)] = mark
        self.count(1, mark)

    def _attach(self, frame: list[Any], value: Any, size: int, mark: Mark) -> None:
        container = frame[0]
        frame[2] += size
        if isinstance(container, list):
            container.append(value)
            return
        key = frame[3]
        frame[3] = None
        if key == "<<":  # YAML merge key: explicit keys win over merged ones
            sources = value if isinstance(value, list) else [value]
            for src in sources:
                if not isinstance(src, dict):
                    raise self.fail(mark, "PS004", "a merge key (<<) needs a mapping or a list of mappings")
                for k, v in src.items():
                    container.setdefault(k, v)
            return
        container[key] = value


def load_text(text: str | bytes, file: str = "<string>") -> Document:
    """Parse YAML text into a :class:`Document`; raises :class:`SpecError` with one diagnostic."""
    start = Mark(1, 1)
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise _error(file, start, "PS001", f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        if b"\x00" in text:
            raise _error(file, start, "PS001", "file contains NUL bytes: not a text YAML file")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _error(
                file, start, "PS001", f"file is not UTF-8 text (byte {exc.start})", "save it as UTF-8"
            ) from None
    if "\x00" in text:
        raise _error(file, start, "PS001", "file contains NUL bytes: not a text YAML file")
    if not text.strip():
        raise _error(file, start, "PS010", "file is empty", "a pipeline spec starts with 'apiVersion: pipespec/v1'")
    builder = _Builder(file)
    try:
        events = yaml.parse(text, Loader=_Loader)
        data, _size = builder.build(_single_document(events, file))
    except yaml.MarkedYAMLError as exc:
        m = exc.problem_mark or exc.context_mark
        mark = Mark(m.line + 1, m.column + 1) if m else start
        problem = exc.problem or exc.context or "invalid YAML"
        hint = "fix the YAML syntax"
        lines = text.splitlines()
        if "tab" in problem or (0 < mark.line <= len(lines) and "\t" in lines[mark.line - 1]):
            hint = "YAML does not allow tabs for indentation: use spaces"
        if "nesting depth" in problem:
            raise _error(
                file, mark, "PS006", f"nesting deeper than {MAX_DEPTH} levels", "flatten the document"
            ) from None
        raise _error(file, mark, "PS004", f"invalid YAML: {problem}", hint) from None
    except yaml.YAMLError as exc:  # reader errors: control characters and the like
        raise _error(file, start, "PS004", f"invalid YAML: {exc}", "remove binary/control characters") from None
    if data is None:
        raise _error(file, start, "PS010", "file holds no data", "a pipeline spec is a YAML mapping")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single {type(data).__name__} value"
        raise _error(
            file,
            start,
            "PS011",
            f"top level is {kind}, expected a mapping",
            "a pipeline spec is a mapping that starts with 'apiVersion: pipespec/v1'",
        )
    return Document(file, data, builder.positions, builder.key_positions)


def _single_document(events: Any, file: str) -> Any:
    docs = 0
    for ev in events:
        if isinstance(ev, yaml.DocumentStartEvent):
            docs += 1
            if docs > 1:
                raise _error(
                    file,
                    _mark(ev.start_mark),
                    "PS012",
                    "file holds more than one YAML document",
                    "put one pipeline per file",
                )
        yield ev


def load_file(path: str | Path) -> Document:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise _error(str(p), Mark(1, 1), "PS001", f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        raw = p.read_bytes()
    except OSError as exc:
        raise _error(str(p), Mark(0, 0), "PS000", f"cannot read file: {exc.strerror or exc}") from None
    return load_text(raw, str(p))
