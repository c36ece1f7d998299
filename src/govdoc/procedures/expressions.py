"""The safe evaluator of a procedure's conditions (gateway flows, timers).

A BPMN file is written by people outside the code's review (an agency's process analyst in a
modeler), so its conditions are data, not code: they are parsed with ``ast`` and walked by
this small interpreter, never given to ``eval``. What a condition may use:

- names of process data (``complete``, ``fee_paid``), never one that starts with ``_``;
- literals: strings, numbers, ``True``, ``False``, ``None``, and lists, tuples, sets and
  dicts of them;
- comparisons (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``, ``is``,
  ``is not``), ``and``, ``or``, ``not``, unary ``-`` and ``+``;
- subscripts by a literal or a name (``applicant["age"]``, ``documents[0]``), without slices.

Everything else is refused when the definition is loaded and again when a condition runs:
calls, attributes, lambdas, comprehensions, arithmetic (``"x" * 10**9``), f-strings, walrus
assignments. So ``__import__('os').system('...')`` is refused three times over: it is a call,
an attribute and a name that starts with ``_``.

Pure Python: no Django, no SpiffWorkflow.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

# Longer than any condition a person draws; keeps ``ast.parse`` away from deep recursion.
MAX_LENGTH = 2000


class ExpressionRefused(Exception):
    """The text is not a condition the safe evaluator accepts (said at load time or at run time)."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"{reason}: {expression!r}")
        self.expression = expression
        self.reason = reason


class ExpressionFailed(Exception):
    """An accepted condition could not be evaluated on this data (an unknown name, a missing
    key, a comparison of a number with a string)."""


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_CONSTANT_TYPES = (str, int, float, bool, type(None))


def _check(node: ast.AST, expression: str) -> None:
    """Refuse any node outside the allowed grammar (recursively)."""
    match node:
        case ast.Expression(body=body):
            _check(body, expression)
        case ast.BoolOp(values=values):
            for value in values:
                _check(value, expression)
        case ast.UnaryOp(op=op, operand=operand) if type(op) in _UNARY:
            _check(operand, expression)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            if not all(type(op) in _COMPARE for op in ops):
                raise ExpressionRefused(expression, "comparison not allowed")
            for part in (left, *comparators):
                _check(part, expression)
        case ast.Name(id=name, ctx=ast.Load()):
            if name.startswith("_"):
                raise ExpressionRefused(expression, f"name {name!r} not allowed")
        case ast.Constant(value=value):
            if not isinstance(value, _CONSTANT_TYPES):
                raise ExpressionRefused(expression, "literal not allowed")
        case ast.List(elts=items) | ast.Tuple(elts=items) | ast.Set(elts=items):
            for item in items:
                _check(item, expression)
        case ast.Dict(keys=keys, values=values):
            for key in keys:
                if key is None:  # {**other}
                    raise ExpressionRefused(expression, "dict unpacking not allowed")
                _check(key, expression)
            for value in values:
                _check(value, expression)
        case ast.Subscript(value=value, slice=index):
            if not isinstance(index, ast.Constant | ast.Name):
                raise ExpressionRefused(expression, "only a literal or a name may index")
            _check(value, expression)
            _check(index, expression)
        case _:
            raise ExpressionRefused(expression, f"{type(node).__name__} not allowed")


@functools.lru_cache(maxsize=512)
def compile_condition(expression: str) -> ast.Expression:
    """Parse and check a condition; raises ``ExpressionRefused``. The tree is cached (trees
    are never changed after this)."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionRefused(str(expression), "empty condition")
    if len(expression) > MAX_LENGTH:
        raise ExpressionRefused(expression[:80], f"longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError) as exc:
        raise ExpressionRefused(expression, "not a valid expression") from exc
    _check(tree, expression)
    return tree


def _eval(node: ast.AST, names: Mapping[str, Any]) -> Any:
    match node:
        case ast.Expression(body=body):
            return _eval(body, names)
        case ast.BoolOp(op=ast.And(), values=values):
            result: Any = True
            for value in values:
                result = _eval(value, names)
                if not result:
                    return result
            return result
        case ast.BoolOp(op=ast.Or(), values=values):
            result = False
            for value in values:
                result = _eval(value, names)
                if result:
                    return result
            return result
        case ast.UnaryOp(op=op, operand=operand):
            return _UNARY[type(op)](_eval(operand, names))
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current = _eval(left, names)
            for cmp, right_node in zip(ops, comparators, strict=True):
                right = _eval(right_node, names)
                if not _COMPARE[type(cmp)](current, right):
                    return False
                current = right
            return True
        case ast.Name(id=name):
            if name not in names:
                raise ExpressionFailed(f"no process data named {name!r}")
            return names[name]
        case ast.Constant(value=value):
            return value
        case ast.List(elts=items):
            return [_eval(item, names) for item in items]
        case ast.Tuple(elts=items):
            return tuple(_eval(item, names) for item in items)
        case ast.Set(elts=items):
            return {_eval(item, names) for item in items}
        case ast.Dict(keys=keys, values=values):
            return {_eval(k, names): _eval(v, names) for k, v in zip(keys, values, strict=True) if k}
        case ast.Subscript(value=value, slice=index):
            container = _eval(value, names)
            if not isinstance(container, dict | list | tuple | str):
                raise ExpressionFailed(f"cannot index a {type(container).__name__}")
            try:
                return container[_eval(index, names)]
            except (KeyError, IndexError, TypeError) as exc:
                raise ExpressionFailed(f"no item {ast.unparse(index)} in {ast.unparse(value)}") from exc
    raise ExpressionRefused(ast.unparse(node), f"{type(node).__name__} not allowed")  # pragma: no cover


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """The value of a condition over process data. Raises ``ExpressionRefused`` for text
    outside the grammar and ``ExpressionFailed`` for data it cannot be evaluated on."""
    tree = compile_condition(expression)
    try:
        return _eval(tree, names)
    except TypeError as exc:  # e.g. 3 < "a", or "a" in 5
        raise ExpressionFailed(str(exc)) from exc
