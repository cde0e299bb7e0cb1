"""SE-2: diagram expressions are interpreted from a whitelist, never handed to eval."""

from __future__ import annotations

import time
import unicodedata

import pytest

from service.engine.evaluator import (
    MAX_NODES,
    MAX_SOURCE_CHARS,
    ExpressionError,
    check_expression,
    evaluate,
)

DATA = {
    "amount": 2500,
    "approved": True,
    "decision": "approve",
    "score": 8.5,
    "note": "Đủ điều kiện",
    "units": ["Sở Tư pháp", "Sở Y tế"],
    "proposal": {"award": "BK_CT_UBND", "count": 3},
    "missing": None,
    "zero": 0,
}

# Refused by static validation: what check_expression rejects at publish time.
STATIC_PAYLOADS = [
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "().__class__",
    "9**9**9",
    "'a'*10**9",
    "2 ** 8",
    "lambda: 1",
    "(lambda: 1)()",
    "note.upper()",
    "units.append(1)",
    "open('/etc/passwd').read()",
    "getattr(note, 'upper')",
    "eval('1')",
    "exec('x = 1')",
    "globals()",
    "__builtins__",
    "[x for x in units]",
    "{x: 1 for x in units}",
    "{x for x in units}",
    "sum(x for x in units)",
    "(y := 1)",
    "f'{note}'",
    "f'{__import__(\"os\")}'",
    "len(*units)",
    "max(units, key=len)",
    "{**proposal}",
    "proposal['__class__']",
    "amount | 1",
    "amount << 2",
    "~amount",
    "b'bytes'",
    "1j",
    "...",
    "10**19",
    "99999999999999999999",
    "x = 1",
    "import os",
    "amount >",
    "",
    "   ",
]

# Valid syntax, refused while evaluating because the result would be too large or ill-typed.
RUNTIME_PAYLOADS = [
    "'a' * 1000000000",
    "1000000000 * 'a'",
    "[0] * 100000",
    "note * 100000",
    "'%0999999999d' % 1",
    "note % 1",
    "1000000000000 * 1000000000000",
    "round(10, -1000000000000000000)",
    "int('9' * 5000)",
    "sum([units, units])",
    "1 / zero",
    "amount // zero",
    "amount % zero",
    "unknown_variable",
    "len(amount)",
    "units[10]",
    "proposal['nope']",
    "'a' < 1",
    "min([])",
    "amount in 5",
    "-note",
    "units[1:2:zero]",
]


@pytest.mark.parametrize("src", STATIC_PAYLOADS)
def test_static_payloads_refused_at_publish_and_at_run(src: str) -> None:
    with pytest.raises(ExpressionError):
        check_expression(src)
    with pytest.raises(ExpressionError):
        evaluate(src, DATA)


@pytest.mark.parametrize("src", RUNTIME_PAYLOADS)
def test_runtime_payloads_refused_quickly(src: str) -> None:
    check_expression(src)  # syntactically harmless: the bound is enforced while evaluating
    began = time.perf_counter()
    with pytest.raises(ExpressionError):
        evaluate(src, DATA)
    assert time.perf_counter() - began < 0.5


@pytest.mark.parametrize("src", STATIC_PAYLOADS[:12] + RUNTIME_PAYLOADS[:8])
def test_error_messages_are_vietnamese_not_python(src: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(src, DATA)
    message = info.value.message
    assert message and unicodedata.is_normalized("NFC", message)
    for leak in ("Traceback", "Error", "object", "attribute", "__class__", "not supported"):
        assert leak not in message
    assert info.value.__cause__ is None


def test_the_reference_condition_works() -> None:
    assert evaluate("amount > 1000 and approved", DATA) is True
    assert evaluate("amount > 1000 and approved", {**DATA, "amount": 900}) is False
    check_expression("amount > 1000 and approved")


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("decision == 'approve'", True),
        ("decision != 'return'", True),
        ("decision in ('approve', 'reject')", True),
        ("decision not in ['return']", True),
        ("missing is None", True),
        ("approved is not None", True),
        ("1 < amount <= 2500", True),
        ("not approved", False),
        ("approved or unknown_is_never_reached", True),
        ("zero and unknown_is_never_reached", 0),
        ("-amount + +amount", 0),
        ("amount - 500 * 2", 1500),
        ("amount / 1000", 2.5),
        ("amount // 1000", 2),
        ("amount % 1000", 500),
        ("score >= 8 if approved else False", True),
        ("note + ' (đã xét)'", "Đủ điều kiện (đã xét)"),
        ("'Sở Y tế' in units", True),
        ("'Đủ' in note", True),
        ("units[0]", "Sở Tư pháp"),
        ("units[-1]", "Sở Y tế"),
        ("units[0:1]", ["Sở Tư pháp"]),
        ("proposal['count'] >= 3", True),
        ("len(units) == 2 and len(note) > 3", True),
        ("min(3, 1, 2) + max([4, 5])", 6),
        ("abs(-4) + round(2.567, 2)", 6.57),
        ("int('42') + float('0.5')", 42.5),
        ("str(amount) + '₫'", "2500₫"),
        ("bool(zero)", False),
        ("sum([1, 2, 3.5])", 6.5),
        ("any([zero, approved]) and not all([zero, approved])", True),
        ("{'a': 1, 'b': amount}['b']", 2500),
        ("{1, 2, 2} == {2, 1}", True),
        ("'ab' * 3", "ababab"),
        ("[1] + [2]", [1, 2]),
        ("True", True),
        ("None", None),
    ],
)
def test_supported_expressions(src: str, expected: object) -> None:
    check_expression(src)
    assert evaluate(src, DATA) == expected


def test_unknown_name_is_a_named_error() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate("cluster_approved == True", DATA)
    assert info.value.message == "Biến 'cluster_approved' không có trong dữ liệu hồ sơ."


def test_function_names_are_not_values() -> None:
    with pytest.raises(ExpressionError):
        evaluate("len", DATA)


def test_data_cannot_smuggle_callables_into_calls() -> None:
    # Calls resolve only against the allow-list, never against task data.
    with pytest.raises(ExpressionError):
        evaluate("system('id')", {"system": print})


def test_size_limits() -> None:
    with pytest.raises(ExpressionError) as info:
        check_expression("1 + " * (MAX_SOURCE_CHARS // 4) + "1")
    assert "quá dài" in info.value.message
    many = "+".join(["a"] * (MAX_NODES // 2 + 1))
    assert len(many) <= MAX_SOURCE_CHARS
    with pytest.raises(ExpressionError) as info:
        check_expression(many)
    assert "quá phức tạp" in info.value.message
    with pytest.raises(ExpressionError):
        check_expression("-" * 60 + "1")


def test_large_data_values_are_readable_but_not_amplified() -> None:
    data = {"text": "x" * 50_000, "n": 10**17}
    assert evaluate("len(text) > 0", data) is True
    with pytest.raises(ExpressionError):
        evaluate("text + 'y'", data)
    with pytest.raises(ExpressionError):
        evaluate("n * n", data)


def test_whitespace_around_condition_is_ignored() -> None:
    assert evaluate("\n    decision == 'approve'\n  ", DATA) is True


def test_non_string_source_refused() -> None:
    with pytest.raises(ExpressionError):
        evaluate(None, DATA)  # type: ignore[arg-type]
