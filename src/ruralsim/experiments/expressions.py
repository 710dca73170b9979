"""Derived sweep parameters: small arithmetic expressions over other parameters, never ``eval``.

A sweep's ``derived`` section sets a parameter from the swept ones at each design point, e.g.
a subsidy's cost from its value, or two keys tied to one value::

    derived:
      instruments.loan.budget_cny: "instruments.loan.amount_cny * 1200"
      behaviour.b_service_poor: behaviour.b_service          # a tie: the same value

An expression is parsed with :mod:`ast` and only these parts are accepted: numbers, dotted
key paths of parameters (list items by index too: ``policy.instruments.0.value_cny``), ``+ - * / // % **``, unary ``-`` and ``+``, parentheses, and the
functions ``min``, ``max``, ``abs`` and ``round``.  Nothing else (attribute access on
objects, calls of other functions, subscripts, strings, comparisons, lambdas) is evaluated:
it is refused when the sweep file is read.  Arithmetic is done in floats (so ``10 ** 10 **
10`` overflows to an error, not to a huge integer); a result that is not a finite number is
an error naming the design point.

Example:
    >>> e = parse("min(a.x * 2, 10) + round(b)")
    >>> sorted(names(e))
    ['a.x', 'b']
    >>> evaluate(e, {"a.x": 3.0, "b": 1.6})
    8.0
"""
from __future__ import annotations

import ast
import math
import operator
import re
from typing import Any, Callable

#: Longest expression accepted (characters).
MAX_EXPRESSION_CHARS = 1000
#: Most nodes in a parsed expression (a guard against deeply nested input).
MAX_NODES = 200

_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow}
_UNARY: dict[type, Callable[[float], float]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCTIONS: dict[str, Callable[..., float]] = {"min": min, "max": max, "abs": abs,
                                               "round": round}


class ExpressionError(ValueError):
    """An expression that is not allowed, or that cannot be evaluated at a design point."""


#: A parameter key path: a name, then dot-separated names or list indexes (``a.0.b``).
_KEY = re.compile(r"(?<![\w.])[^\W\d]\w*(?:\.\w+)*")


class Expression:
    """A checked expression: its parsed tree and the key path each placeholder stands for."""

    def __init__(self, tree: ast.Expression, keys: dict[str, str], text: str):
        self.tree, self.keys, self.text = tree, keys, text


def parse(text: str) -> Expression:
    """Parse and check ``text``; raises :class:`ExpressionError` saying what is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression / 表达式为空")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_CHARS} characters "
                              "/ 表达式过长")
    keys: dict[str, str] = {}

    def placeholder(m: re.Match) -> str:
        key = m.group(0)
        if key in _FUNCTIONS and text[m.end():].lstrip().startswith("("):
            return key
        name = f"_k{len(keys)}_"
        keys[name] = key
        return name

    coded = _KEY.sub(placeholder, text.strip())
    try:
        tree = ast.parse(coded, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        msg = getattr(exc, "msg", None) or type(exc).__name__
        raise ExpressionError(f"not an arithmetic expression ({msg}): {text!r} "
                              "/ 表达式语法有误") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError(f"expression too complex (more than {MAX_NODES} parts) "
                              "/ 表达式过于复杂")
    _check(tree.body, text, keys)
    return Expression(tree, keys, text)


def _check(node: ast.AST, text: str, keys: dict[str, str]) -> None:
    if isinstance(node, ast.Name) and node.id in keys:
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants (no text, True, "
                                  f"False or None) in {text!r} / 常量只能是数字")
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text, keys)
        _check(node.right, text, keys)
        return
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, text, keys)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FUNCTIONS and not node.keywords and node.args:
        one = node.func.id in ("abs", "round")
        if (len(node.args) == 1) != one:
            want = "one argument" if one else "two or more arguments"
            raise ExpressionError(f"{node.func.id}() takes {want} / 参数个数有误")
        for a in node.args:
            _check(a, text, keys)
        return
    raise ExpressionError(f"{type(node).__name__} is not allowed in {text!r}; use numbers, "
                          "parameter key paths, + - * / // % **, parentheses and min, max, abs, "
                          "round / 表达式只允许数字、参数路径、四则运算、括号及 min/max/abs/round")


def names(expr: Expression) -> set[str]:
    """The parameter key paths ``expr`` reads."""
    return set(expr.keys.values())


def evaluate(expr: Expression, values: dict[str, Any]) -> Any:
    """The value of ``expr`` with parameter values ``values`` (numbers).

    A key path alone is a tie: its value is returned as it is (a name, a list, a number).
    Raises :class:`ExpressionError` for a value that is not a number, a division by zero, an
    overflow or a result that is not finite.
    """
    body = expr.tree.body
    if isinstance(body, ast.Name):
        return values[expr.keys[body.id]]
    try:
        out = _eval(body, values, expr.keys)
    except ZeroDivisionError:
        raise ExpressionError("division by zero / 除数为零") from None
    except OverflowError:
        raise ExpressionError("the result is too large / 结果溢出") from None
    if isinstance(out, float) and not math.isfinite(out):
        raise ExpressionError(f"the result is {out}, not a finite number / 结果不是有限数")
    return out


def _eval(node: ast.AST, values: dict[str, Any], keys: dict[str, str]) -> float | int:
    if isinstance(node, ast.Name):
        name = keys[node.id]
        v = values[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ExpressionError(f"{name} is {v!r}, not a number / 参数值不是数字")
        return float(v)
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.BinOp):
        out = _BINARY[type(node.op)](float(_eval(node.left, values, keys)),
                                     float(_eval(node.right, values, keys)))
        if isinstance(out, complex):          # (-8) ** 0.5
            raise ExpressionError("a negative number to a fractional power / 负数的分数次幂")
        return out
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, values, keys))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):   # checked by parse
        return _FUNCTIONS[node.func.id](*(_eval(a, values, keys) for a in node.args))
    raise ExpressionError(f"cannot evaluate {type(node).__name__} / 无法计算")
