"""The safe expression evaluator (SE-2).

Gateway conditions and other diagram expressions are *data*, written by an administrator in a
browser. SpiffWorkflow's default engine hands them to ``eval`` with full builtins; here they are
parsed with :mod:`ast` and interpreted by walking a whitelist of node types. There is no attribute
access, no import, no lambda or comprehension, no ``**``; names resolve only to task data; calls go
only to a short allow-list of plain functions; every intermediate result is size-bounded, and the
few operations that could allocate without bound (sequence repetition, concatenation) are checked
*before* they run.

Errors are :class:`ExpressionError` with a Vietnamese message; Python's own exception text never
leaves this module.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "ALLOWED_FUNCTIONS",
    "ExpressionError",
    "check_expression",
    "evaluate",
]

MAX_SOURCE_CHARS = 2000
MAX_NODES = 500
MAX_NESTING = 50
MAX_STR_CHARS = 10_000
MAX_ABS_INT = 10**18
MAX_ITEMS = 10_000
# Strings handed to int()/float(): long digit strings are slow to convert and never legitimate.
MAX_NUMBER_TEXT = 100
MAX_ROUND_DIGITS = 15


class ExpressionError(Exception):
    """An expression was refused or could not be evaluated; ``message`` is Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_MSG_EMPTY = "Biểu thức rỗng."
_MSG_TOO_LONG = f"Biểu thức quá dài (tối đa {MAX_SOURCE_CHARS} ký tự)."
_MSG_SYNTAX = "Biểu thức không đúng cú pháp."
_MSG_TOO_COMPLEX = "Biểu thức quá phức tạp."
_MSG_TOO_BIG = "Kết quả biểu thức vượt quá giới hạn kích thước cho phép."
_MSG_TYPE = "Phép toán không hợp lệ với kiểu dữ liệu hiện có."
_MSG_ZERO = "Biểu thức chia cho 0."
_MSG_DUNDER = "Biểu thức không được dùng tên bắt đầu bằng '__'."
_MSG_FAILED = "Không tính được giá trị biểu thức."
_MSG_ARGS = "Hàm '{name}' được gọi với tham số không hợp lệ."

# What each refused construct is called in an error message.
_FORBIDDEN_NAMES: dict[type[ast.AST], str] = {
    ast.Attribute: "truy cập thuộc tính",
    ast.Lambda: "lambda",
    ast.ListComp: "biểu thức sinh danh sách",
    ast.SetComp: "biểu thức sinh tập hợp",
    ast.DictComp: "biểu thức sinh từ điển",
    ast.GeneratorExp: "biểu thức sinh",
    ast.NamedExpr: "toán tử gán :=",
    ast.Starred: "toán tử *",
    ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Pow: "lũy thừa **",
    ast.BitAnd: "toán tử bit",
    ast.BitOr: "toán tử bit",
    ast.BitXor: "toán tử bit",
    ast.LShift: "toán tử dịch bit",
    ast.RShift: "toán tử dịch bit",
    ast.Invert: "toán tử bit",
    ast.MatMult: "toán tử @",
}

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}

_COMPARES: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: operator.contains(b, a),
    ast.NotIn: lambda a, b: not operator.contains(b, a),
}

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    *_BINOPS,
    ast.Compare,
    *_COMPARES,
    ast.IfExp,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.Call,
    ast.Subscript,
    ast.Slice,
)

_NUMBER = (int, float)
_SEQUENCE = (str, list, tuple)
_CONTAINER = (str, list, tuple, dict, set, frozenset)


# -- bounded built-ins ---------------------------------------------------------------------------


def _arity(name: str, args: tuple[Any, ...], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        raise ExpressionError(_MSG_ARGS.format(name=name))


def _fn_len(*args: Any) -> int:
    _arity("len", args, 1, 1)
    if not isinstance(args[0], _CONTAINER):
        raise ExpressionError(_MSG_ARGS.format(name="len"))
    return len(args[0])


def _extremum(name: str, pick: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    if not args:
        raise ExpressionError(_MSG_ARGS.format(name=name))
    values = args[0] if len(args) == 1 else args
    if not isinstance(values, _CONTAINER) or len(values) == 0:
        raise ExpressionError(_MSG_ARGS.format(name=name))
    return pick(values)


def _fn_min(*args: Any) -> Any:
    return _extremum("min", min, args)


def _fn_max(*args: Any) -> Any:
    return _extremum("max", max, args)


def _fn_abs(*args: Any) -> Any:
    _arity("abs", args, 1, 1)
    if not isinstance(args[0], _NUMBER):
        raise ExpressionError(_MSG_ARGS.format(name="abs"))
    return abs(args[0])


def _number_text(name: str, value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
        raise ExpressionError(_MSG_ARGS.format(name=name))
    if not isinstance(value, (str, int, float)):
        raise ExpressionError(_MSG_ARGS.format(name=name))
    return value


def _fn_int(*args: Any) -> int:
    _arity("int", args, 1, 1)
    return int(_number_text("int", args[0]))


def _fn_float(*args: Any) -> float:
    _arity("float", args, 1, 1)
    return float(_number_text("float", args[0]))


def _fn_str(*args: Any) -> str:
    _arity("str", args, 0, 1)
    return str(*args)


def _fn_bool(*args: Any) -> bool:
    _arity("bool", args, 0, 1)
    return bool(*args)


def _fn_round(*args: Any) -> Any:
    _arity("round", args, 1, 2)
    if not isinstance(args[0], _NUMBER):
        raise ExpressionError(_MSG_ARGS.format(name="round"))
    if len(args) == 2:
        digits = args[1]
        # round(10, -10**18) would compute 10**(10**18).
        if type(digits) is not int or abs(digits) > MAX_ROUND_DIGITS:
            raise ExpressionError(_MSG_ARGS.format(name="round"))
        return round(args[0], digits)
    return round(args[0])


def _fn_sum(*args: Any) -> Any:
    # No start argument: sum(lists, []) is a quadratic concatenation.
    _arity("sum", args, 1, 1)
    values = args[0]
    if not isinstance(values, (list, tuple, set, frozenset)):
        raise ExpressionError(_MSG_ARGS.format(name="sum"))
    if not all(isinstance(v, _NUMBER) for v in values):
        raise ExpressionError(_MSG_ARGS.format(name="sum"))
    return sum(values)


def _fn_any(*args: Any) -> bool:
    _arity("any", args, 1, 1)
    if not isinstance(args[0], _CONTAINER):
        raise ExpressionError(_MSG_ARGS.format(name="any"))
    return any(args[0])


def _fn_all(*args: Any) -> bool:
    _arity("all", args, 1, 1)
    if not isinstance(args[0], _CONTAINER):
        raise ExpressionError(_MSG_ARGS.format(name="all"))
    return all(args[0])


ALLOWED_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "len": _fn_len,
    "min": _fn_min,
    "max": _fn_max,
    "abs": _fn_abs,
    "int": _fn_int,
    "float": _fn_float,
    "str": _fn_str,
    "bool": _fn_bool,
    "round": _fn_round,
    "sum": _fn_sum,
    "any": _fn_any,
    "all": _fn_all,
}


# -- static validation --------------------------------------------------------------------------


def _forbidden(node: ast.AST) -> ExpressionError:
    kind = _FORBIDDEN_NAMES.get(type(node), type(node).__name__)
    return ExpressionError(f"Biểu thức chứa cú pháp không được phép: {kind}.")


def _check_constant(value: Any) -> None:
    if value is None or isinstance(value, bool | float):
        return
    if isinstance(value, int):
        if abs(value) > MAX_ABS_INT:
            raise ExpressionError(_MSG_TOO_BIG)
        return
    if isinstance(value, str):
        if len(value) > MAX_STR_CHARS:
            raise ExpressionError(_MSG_TOO_BIG)
        return
    # bytes, complex numbers, Ellipsis
    raise ExpressionError("Biểu thức chứa hằng số không được phép.")


def _check_node(node: ast.AST) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        raise _forbidden(node)
    if isinstance(node, ast.Constant):
        _check_constant(node.value)
    elif isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise ExpressionError(_MSG_DUNDER)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("Biểu thức chỉ được gọi các hàm có sẵn theo tên.")
        if node.func.id not in ALLOWED_FUNCTIONS:
            raise ExpressionError(
                f"Hàm '{node.func.id}' không được phép trong biểu thức."
            )
        if node.keywords:
            raise ExpressionError(_MSG_ARGS.format(name=node.func.id))
    elif isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise ExpressionError("Biểu thức chứa cú pháp không được phép: giải nén từ điển **.")
    elif isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.startswith(
            "__"
        ):
            raise ExpressionError(_MSG_DUNDER)


def _validate(tree: ast.Expression) -> None:
    count = 0
    # Iterative walk with depth, so a pathological tree cannot exhaust the Python stack here.
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_NESTING:
            raise ExpressionError(_MSG_TOO_COMPLEX)
        _check_node(node)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


@functools.lru_cache(maxsize=512)
def _compile(src: str) -> ast.Expression:
    """Parse and validate; cached because the same few conditions run on every route."""
    try:
        tree = ast.parse(src, mode="eval")
    except Exception:  # SyntaxError, ValueError (NUL bytes), RecursionError, warnings as errors
        raise ExpressionError(_MSG_SYNTAX) from None
    _validate(tree)
    return tree


def _prepare(src: object) -> ast.Expression:
    if not isinstance(src, str):
        raise ExpressionError(_MSG_EMPTY)
    text = src.strip()
    if not text:
        raise ExpressionError(_MSG_EMPTY)
    if len(text) > MAX_SOURCE_CHARS:
        raise ExpressionError(_MSG_TOO_LONG)
    return _compile(text)


def check_expression(src: str) -> None:
    """Static validation (publish time): raise :class:`ExpressionError` if ``src`` is refused."""
    _prepare(src)


# -- evaluation ---------------------------------------------------------------------------------


def _bounded(value: Any) -> Any:
    """Refuse results that are too large; applied to everything an operation produces."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_ABS_INT:
            raise ExpressionError(_MSG_TOO_BIG)
    elif isinstance(value, str):
        if len(value) > MAX_STR_CHARS:
            raise ExpressionError(_MSG_TOO_BIG)
    elif isinstance(value, (list, tuple, set, frozenset, dict)) and len(value) > MAX_ITEMS:
        raise ExpressionError(_MSG_TOO_BIG)
    return value


def _limit_for(value: Any) -> int:
    return MAX_STR_CHARS if isinstance(value, str) else MAX_ITEMS


def _binop(op: type[ast.operator], left: Any, right: Any) -> Any:
    if op is ast.Mult:
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCE) and isinstance(count, int):
                if count > 0 and len(seq) * count > _limit_for(seq):
                    raise ExpressionError(_MSG_TOO_BIG)
    elif op is ast.Add:
        if isinstance(left, _SEQUENCE) and isinstance(right, _SEQUENCE):
            if len(left) + len(right) > _limit_for(left):
                raise ExpressionError(_MSG_TOO_BIG)
    elif op is ast.Mod:
        # str % args is printf formatting: "%0999999999d" % 1 allocates a gigabyte.
        if not (isinstance(left, _NUMBER) and isinstance(right, _NUMBER)):
            raise ExpressionError(_MSG_TYPE)
    elif op in (ast.Div, ast.FloorDiv):
        if not (isinstance(left, _NUMBER) and isinstance(right, _NUMBER)):
            raise ExpressionError(_MSG_TYPE)
    return _bounded(_BINOPS[op](left, right))


class _Interpreter:
    """Walks a validated tree; one instance per evaluation."""

    __slots__ = ("names",)

    def __init__(self, names: Mapping[str, Any]) -> None:
        self.names = names

    def run(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:  # unreachable after _validate, kept as a second line of defence
            raise _forbidden(node)
        return method(node)

    def _Expression(self, node: ast.Expression) -> Any:
        return self.run(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        try:
            return self.names[node.id]
        except KeyError:
            raise ExpressionError(
                f"Biến '{node.id}' không có trong dữ liệu hồ sơ."
            ) from None

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.run(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.run(node.operand)
        if isinstance(node.op, ast.Not):
            return not operand
        if not isinstance(operand, _NUMBER):
            raise ExpressionError(_MSG_TYPE)
        return _bounded(-operand if isinstance(node.op, ast.USub) else +operand)

    def _BinOp(self, node: ast.BinOp) -> Any:
        return _binop(type(node.op), self.run(node.left), self.run(node.right))

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.run(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.run(comparator)
            if op.__class__ in (ast.In, ast.NotIn) and not isinstance(right, _CONTAINER):
                raise ExpressionError(_MSG_TYPE)
            if not _COMPARES[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.run(node.body) if self.run(node.test) else self.run(node.orelse)

    def _List(self, node: ast.List) -> list[Any]:
        return [self.run(item) for item in node.elts]

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.run(item) for item in node.elts)

    def _Set(self, node: ast.Set) -> set[Any]:
        return {self.run(item) for item in node.elts}

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        return {
            self.run(key): self.run(value)
            for key, value in zip(node.keys, node.values, strict=True)
            if key is not None
        }

    def _Call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)  # guaranteed by _validate
        function = ALLOWED_FUNCTIONS[node.func.id]
        args = tuple(self.run(arg) for arg in node.args)
        return _bounded(function(*args))

    def _Subscript(self, node: ast.Subscript) -> Any:
        container = self.run(node.value)
        if not isinstance(container, (str, list, tuple, dict)):
            raise ExpressionError(_MSG_TYPE)
        key = self.run(node.slice)
        if isinstance(key, str) and key.startswith("__"):
            raise ExpressionError(_MSG_DUNDER)
        if isinstance(key, slice) and isinstance(container, dict):
            raise ExpressionError(_MSG_TYPE)
        try:
            return container[key]
        except (KeyError, IndexError):
            raise ExpressionError("Biểu thức truy cập phần tử không tồn tại.") from None

    def _Slice(self, node: ast.Slice) -> slice:
        bounds = (node.lower, node.upper, node.step)
        parts = [None if part is None else self.run(part) for part in bounds]
        if not all(part is None or type(part) is int for part in parts):
            raise ExpressionError(_MSG_TYPE)
        return slice(*parts)


def evaluate(src: str, data: Mapping[str, Any]) -> Any:
    """Evaluate ``src`` with names resolved in ``data``; raise :class:`ExpressionError`."""
    tree = _prepare(src)
    try:
        return _Interpreter(data).run(tree)
    except ExpressionError:
        raise
    except ZeroDivisionError:
        raise ExpressionError(_MSG_ZERO) from None
    except (TypeError, ValueError, OverflowError):
        raise ExpressionError(_MSG_TYPE) from None
    except Exception:  # MemoryError, RecursionError and anything unforeseen: never leak its text
        raise ExpressionError(_MSG_FAILED) from None
