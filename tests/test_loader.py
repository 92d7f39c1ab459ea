"""The safe loader: positions, limits and refusals that protect users and machines."""

from __future__ import annotations

import resource

import pytest

from pipespec.diagnostics import SpecError
from pipespec.loader import MAX_NODES, load_text


def test_positions_point_at_values_and_keys() -> None:
    doc = load_text("a: 1\nb:\n  - x\n  - {y: 2, z: [1, 2]}\n", "f.yaml")
    assert doc.data == {"a": 1, "b": ["x", {"y": 2, "z": [1, 2]}]}
    mark = doc.locate(("b", 1, "z", 1))
    assert (mark.line, mark.column) == (4, 19)
    key = doc.locate(("b",), key=True)
    assert (key.line, key.column) == (2, 1)
    # unknown path elements (union tags) are skipped, nearest ancestor wins
    near = doc.locate(("b", 1, "python", "z"))
    assert (near.line, near.column) == (4, 15)


def test_aliases_and_merge_keys_are_plain_data() -> None:
    doc = load_text("base: &b {retries: 3}\nx:\n  <<: *b\n  timeout: 5m\n")
    assert doc.data["x"] == {"retries": 3, "timeout": "5m"}


def test_yaml_11_scalars_resolve_like_pyyaml() -> None:
    doc = load_text("a: yes\nb: 1.5\nc: null\nd: '0 3 * * *'\ne: 2025-01-01\n")
    assert doc.data["a"] is True and doc.data["b"] == 1.5 and doc.data["c"] is None
    assert doc.data["d"] == "0 3 * * *"


def test_alias_bomb_is_refused_with_bounded_memory() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(SpecError) as exc:
        load_text("\n".join(levels))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert exc.value.diagnostics[0].code == "PS007"
    assert f"{MAX_NODES:,}" in exc.value.diagnostics[0].message
    assert after - before < 200_000  # KiB: 10^12 nodes were never built


def test_deep_nesting_is_refused_before_recursion() -> None:
    for text in ("a: " + "[" * 100_000 + "]" * 100_000, "a:\n" + "".join(" " * i + "- \n" for i in range(0, 400, 2))):
        with pytest.raises(SpecError) as exc:
            load_text(text)
        assert exc.value.diagnostics[0].code in ("PS006", "PS004")


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['touch /tmp/pwned']",
        "a: !!python/name:os.system",
        "!!python/object:collections.OrderedDict {}",
        "a: !!binary aGVsbG8=",
        "a: !Sub '${x}'",
    ],
)
def test_object_constructing_tags_are_refused(text: str) -> None:
    with pytest.raises(SpecError) as exc:
        load_text(text)
    assert exc.value.diagnostics[0].code == "PS005"


def test_duplicate_keys_name_both_lines() -> None:
    with pytest.raises(SpecError) as exc:
        load_text("tasks:\n  a: 1\n  b: 2\n  a: 3\n", "p.yaml")
    d = exc.value.diagnostics[0]
    assert (d.file, d.line, d.column, d.code) == ("p.yaml", 4, 3, "PS002")
    assert "first written at line 2" in d.message
