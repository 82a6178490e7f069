"""Rule text can never reach attribute access, imports, calls of arbitrary code or I/O."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

import rules.lang
from rules.lang import RuleError, SymbolType, parse_rule

ATTACKS = [
    "__import__('os')",
    "__import__('os').system('ls')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "a.b",
    "amount.real > 0",
    "x[0]",
    "email[0] == 'a'",
    "open('f')",
    "open('/etc/passwd') == 'x'",
    "eval('1')",
    "exec('x = 1')",
    "getattr(amount, 'real')",
    "globals()",
    "lambda: 1",
    "lambda x: x",
    "min(a=1, b=2)",
    "abs(x=amount) > 1",
    "[x for x in amount]",
    "{'a': 1}",
    "amount if true else 0",
    "import os",
    "f'{amount}' == 'x'",
    "b'abc' == 'x'",
    "amount := 1",
    "`ls`",
    "$(ls)",
    "amount; drop table rules",
    "'a' * 10000000000 == 'b'",
    "email.__len__() > 0",
    "card_country.startswith('U')",
    "type(amount) == 'float'",
    "is_null(__builtins__)",
    "starts_with(email, 'a').__class__",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_dangerous_text_is_rejected_cleanly(symbols: Mapping[str, SymbolType], text: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_rule(text, symbols)
    assert info.value.span is not None and info.value.line is not None


# Evaluation must not do I/O: the modules it runs through import nothing that could.
EVALUATION_MODULES = (
    "batch", "checker", "compiler", "interpreter", "kernels", "lexer", "lists", "nodes",
    "parser", "source", "symbols", "typecheck", "unparse", "errors", "limits", "ruleset",
)  # fmt: skip
FORBIDDEN_CALLS = {
    "eval", "exec", "compile", "getattr", "setattr", "delattr", "__import__", "open",
    "globals", "locals", "vars", "input", "breakpoint",
}  # fmt: skip
FORBIDDEN_IMPORTS = {
    "os", "sys", "io", "subprocess", "socket", "pickle", "marshal", "shelve", "importlib",
    "builtins", "ctypes", "pathlib", "urllib", "http", "shutil", "tempfile", "inspect",
}  # fmt: skip


def _package_files() -> list[Path]:
    return sorted(Path(rules.lang.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("path", _package_files(), ids=lambda p: p.name)
def test_no_dynamic_code_in_the_package(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__setattr__"
        ):
            # Only the frozen-dataclass idiom object.__setattr__(self, "literal", ...).
            name = node.args[1] if len(node.args) > 1 else None
            assert isinstance(name, ast.Constant) and isinstance(name.value, str), (
                f"{path.name}:{node.lineno}"
            )
        if isinstance(node, ast.Attribute) and node.attr != "__setattr__":
            assert not (node.attr.startswith("__") and node.attr.endswith("__")) or (
                node.attr in {"__init__", "__name__", "__file__"}
            ), f"{path.name}:{node.lineno} uses {node.attr}"


@pytest.mark.parametrize("name", EVALUATION_MODULES)
def test_evaluation_modules_import_nothing_that_does_io(name: str) -> None:
    path = Path(rules.lang.__file__).parent / f"{name}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots = {(node.module or "").split(".")[0]}
        else:
            continue
        assert not roots & FORBIDDEN_IMPORTS, f"{name}.py:{node.lineno} imports {roots}"


def test_public_api_is_explicit() -> None:
    assert sorted(rules.lang.__all__) == sorted(set(rules.lang.__all__))
    for name in rules.lang.__all__:
        assert name in vars(rules.lang), name
