"""Turn pydantic validation errors into diagnostics with file:line, field path and a hint."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from .diagnostics import Diagnostic, FieldPath, Severity
from .loader import Document, has_child


def did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


# Words users bring from other orchestrators, mapped to our kinds.
_SYNONYMS = {
    "bash": "shell",
    "command": "shell",
    "py": "python",
    "python_script": "python",
    "query": "sql",
    "rest": "http",
    "api": "http",
    "webhook": "http",
    "wheel": "python_wheel",
    "spark_python": "spark",
    "spark_jar": "spark",
    "glue_job": "glue",
    "run_job": "pipeline",
    "dag": "pipeline",
}


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types an annotation may hold (Optional, Annotated and unions opened)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    return [tp]


def _field_keys(model: type[BaseModel]) -> dict[str, str]:
    """YAML key -> python field name."""
    return {(f.alias or name): name for name, f in model.model_fields.items()}


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Walk annotations along a pydantic error location to the model that holds it."""
    current: list[Any] = [root]
    for elem in loc:
        nxt: list[Any] = []
        for tp in current:
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                keys = _field_keys(tp)
                if elem == tp.__name__:  # a union-member tag naming this model
                    nxt.append(tp)
                elif elem in keys:
                    nxt.extend(_unwrap(tp.model_fields[keys[elem]].annotation))
                # a discriminated-union tag selects a member model
                elif "kind" in tp.model_fields or "type" in tp.model_fields:
                    for tag_field in ("kind", "type"):
                        f = tp.model_fields.get(tag_field)
                        if f and elem in typing.get_args(f.annotation):
                            nxt.append(tp)
            elif origin in (dict, list):
                args = typing.get_args(tp)
                nxt.extend(_unwrap(args[-1]))
        if not nxt:
            return None
        current = nxt
    models = [tp for tp in current if isinstance(tp, type) and issubclass(tp, BaseModel)]
    return models[0] if len(models) == 1 else None


def _message(err: Any, root: type[BaseModel], doc: Document) -> tuple[str, str, str, bool]:
    """(code, message, hint, point-at-key) for one pydantic error."""
    etype = err["type"]
    loc = tuple(err["loc"])
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if etype == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(root, loc[:-1])
        keys = sorted(_field_keys(model)) if model else []
        hint = did_you_mean(key, keys)
        if not hint and keys:
            hint = "allowed keys here: " + ", ".join(keys)
        if key in {"url", "webhook_url", "token", "password"}:
            hint = (
                f"secrets never go in the spec: store it with `pulumi config set --secret NAME VALUE` "
                f"and reference NAME ({', '.join(k for k in keys if k.endswith('_secret')) or 'a *_secret key'})"
            )
        return "PS101", f"unknown key {key!r}", hint, True
    if etype == "missing":
        return "PS102", f"missing required key {loc[-1]!r}", "add it", False
    if etype == "union_tag_invalid":
        ctx = err.get("ctx", {})
        tag, expected = ctx.get("tag", "?"), ctx.get("expected_tags", "")
        field = ctx.get("discriminator", "kind").strip("'")
        options = [t.strip().strip("'") for t in str(expected).split(",")]
        synonym = _SYNONYMS.get(str(tag).lower())
        hint = (
            (f"did you mean {synonym!r}?" if synonym in options else "")
            or did_you_mean(str(tag), options)
            or f"expected one of: {', '.join(options)}"
        )
        return "PS103", f"unknown {field} {tag!r}", hint, False
    if etype == "union_tag_not_found":
        field = err.get("ctx", {}).get("discriminator", "kind").strip("'")
        return "PS102", f"missing required key {field!r}", f"every entry here needs a '{field}'", False
    if etype == "literal_error":
        given = err.get("input")
        expected = err.get("ctx", {}).get("expected", "")
        options = [o.strip().strip("'") for o in str(expected).replace(" or ", ",").split(",")]
        hint = did_you_mean(str(given), options) or f"expected {expected}"
        return "PS104", f"invalid value {given!r}", hint, False
    if etype == "string_pattern_mismatch":
        given = err.get("input")
        return "PS105", f"invalid value {given!r}: does not match {err['ctx']['pattern']}", _pattern_hint(loc), False
    if etype == "too_short" and loc == ("tasks",):
        return "PS100", "a pipeline needs at least one task", "add tasks under 'tasks:'", False
    if etype.endswith("_type") or etype.endswith("_parsing"):
        return "PS106", f"{msg} (got {err.get('input')!r})", "", False
    return "PS100", msg, "", False


def _pattern_hint(loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "tasks" and "[key]" in loc:
        return "task ids start with a letter and use letters, digits, '_', '-' or '.'"
    if loc and loc[-1] in ("webhook_url_secret", "url_secret", "token_secret"):
        return "write the NAME of a Pulumi config secret, not its value (pulumi config set --secret NAME VALUE)"
    return ""


_BRANCH = re.compile(r"^(constrained-)?(int|str|float|bool)$|^(list|dict)\[.*\]$|^[A-Z][A-Za-z0-9]+$")
_BRANCH_WORDS = {"int": "a whole number", "str": "a string", "float": "a number", "bool": "true or false"}


def _branch_point(loc: tuple[Any, ...], data: Any) -> int | None:
    """Index of the union-member tag in `loc` (an element that is not a key of the data)."""
    node = data
    for i, elem in enumerate(loc):
        if has_child(node, elem):
            node = node[elem]
        elif isinstance(elem, str) and _BRANCH.match(elem):
            return i
    return None


def _branch_word(tag: str) -> str:
    base = tag.removeprefix("constrained-")
    if base in _BRANCH_WORDS:
        return _BRANCH_WORDS[base]
    if base.startswith("list["):
        return "a list"
    if base.startswith("dict["):
        return "a mapping"
    return "a mapping"


def _collapse_unions(errors: list[Any], doc: Document) -> list[Any]:
    """One error per union instead of one per member, chosen by the shape the user wrote."""
    groups: dict[tuple[Any, ...], list[tuple[str, Any]]] = {}
    out: list[Any] = []
    for err in errors:
        loc = tuple(err["loc"])
        i = _branch_point(loc, doc.data)
        if i is None:
            out.append(err)
            continue
        groups.setdefault(loc[:i], []).append((str(loc[i]), err))
    for prefix, members in groups.items():
        real = doc.real_path(prefix)
        value: Any = doc.data
        for elem in real:
            value = value[elem]
        if isinstance(value, dict):
            keep = [e for tag, e in members if _branch_word(tag) == "a mapping"]
        elif isinstance(value, list):
            keep = [e for tag, e in members if tag.startswith("list[")]
        else:
            same_type = type(value).__name__
            keep = [e for tag, e in members if tag.removeprefix("constrained-") == same_type]
        if keep:
            out.extend(keep)
            continue
        words = " or ".join(dict.fromkeys(_branch_word(tag) for tag, _ in members))
        first = dict(members[0][1])
        first.update(loc=prefix, type="union_shape", msg=f"invalid value {first.get('input')!r}: expected {words}")
        out.append(first)
    return out


def validation_diagnostics(exc: ValidationError, root: type[BaseModel], doc: Document) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for err in _collapse_unions(exc.errors(include_url=False), doc):
        loc = tuple(err["loc"])
        code, message, hint, at_key = _message(err, root, doc)
        shown: FieldPath = doc.real_path(loc)
        if err["type"] == "missing":
            shown = (*shown, str(loc[-1]))
        elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            shown = (*shown, str(err.get("ctx", {}).get("discriminator", "kind")).strip("'"))
        at_key = at_key or "[key]" in loc  # a bad mapping key (task id): point at the key
        mark = doc.locate(shown, key=at_key)
        out.append(Diagnostic(doc.file, mark.line, mark.column, Severity.ERROR, code, message, shown, hint))
    return out
