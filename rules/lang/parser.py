"""Recursive-descent parser: rule text to an (untyped) expression tree.

Grammar (EBNF; lowest precedence first)::

    rule        = expr EOF ;
    expr        = and_expr { "or" and_expr } ;
    and_expr    = not_expr { "and" not_expr } ;
    not_expr    = "not" not_expr | comparison ;
    comparison  = additive [ cmp_op additive | [ "not" ] "in" list ] ;   (never chained)
    cmp_op      = "==" | "!=" | "<" | "<=" | ">" | ">=" ;
    additive    = term { ( "+" | "-" ) term } ;
    term        = unary { ( "*" | "/" ) unary } ;
    unary       = "-" unary | primary ;
    primary     = NUMBER | STRING | "true" | "false" | "null"
                | FUNCTION "(" [ expr { "," expr } ] ")"
                | NAME | "(" expr ")" ;
    list        = "[" [ item { "," item } [ "," ] ] "]" ;
    item        = STRING | [ "-" ] NUMBER ;
    FUNCTION    = "in_list" | "starts_with" | "abs" | "min" | "max" | "is_null" ;
    NAME        = [a-z_][a-z0-9_]* , not starting with "__", not a keyword or function ;
    NUMBER      = digit { digit } [ "." digit { digit } ] ;
    STRING      = "'" { char | "\\" ( "\\" | "'" | '"' ) } "'"  (or the same with '"') ;

There is no production for attribute access, subscripts, keyword arguments, lambdas or
calls of anything but the six functions, so such text can only be a syntax error.
"""

from __future__ import annotations

import difflib

from rules.lang.errors import RuleDataError, RuleLimitError, RuleSyntaxError, UnknownNameError
from rules.lang.lexer import Lexer, Token
from rules.lang.limits import DEFAULT_LIMITS, RuleLimits
from rules.lang.nodes import (
    ArithOp,
    Binary,
    Call,
    Compare,
    CompareOp,
    Expr,
    Literal,
    Logical,
    Membership,
    Name,
    Unary,
    depth,
)
from rules.lang.source import Span, line_column
from rules.lang.symbols import BOOL, FUNCTIONS, NULL, NUMBER, STRING, SymbolType

__all__ = ["parse_expression"]

_COMPARE_OPS: frozenset[str] = frozenset({"==", "!=", "<", "<=", ">", ">="})
_FUNCTION_LIST = ", ".join(sorted(FUNCTIONS))


def parse_expression(text: str, *, limits: RuleLimits = DEFAULT_LIMITS) -> Expr:
    """Parse one rule condition into an untyped expression tree.

    Raises:
        RuleSyntaxError: the text does not follow the grammar.
        UnknownNameError: a call of a function that is not one of the six.
        RuleLimitError: the text is too long or too deeply nested.
    """
    if not isinstance(text, str):
        raise RuleDataError(f"a rule must be text (str), got {type(text).__name__}")
    if len(text) > limits.max_length:
        raise RuleLimitError(
            f"the rule is {len(text)} characters long, more than {limits.max_length}",
            limit="max_length",
            maximum=limits.max_length,
            actual=len(text),
            hint="split it into several rules or move long value lists into a managed list",
            source=text,
            span=Span(limits.max_length, len(text)),
        )
    parser = _Parser(text, limits)
    try:
        tree = parser.parse()
    except RecursionError:  # pragma: no cover - the nesting limit stops this first
        raise parser.too_deep(Span(0, len(text)), None) from None
    level, deepest = depth(tree)
    if level > limits.max_depth:
        raise parser.too_deep(deepest.span, level)
    return tree


class _Parser:
    def __init__(self, text: str, limits: RuleLimits) -> None:
        self.text = text
        self.limits = limits
        self.lexer = Lexer(text)
        self.buffer: list[Token] = []
        self.nesting = 0

    # -- tokens ------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        while len(self.buffer) <= ahead:
            if self.buffer and self.buffer[-1].kind == "eof":
                return self.buffer[-1]
            self.buffer.append(self.lexer.next())
        return self.buffer[ahead]

    def advance(self) -> Token:
        token = self.peek()
        if token.kind != "eof":
            self.buffer.pop(0)
        return token

    def at(self, kind: str, text: str) -> bool:
        token = self.peek()
        return token.kind == kind and token.text == text

    def error(self, message: str, token: Token, hint: str | None = None) -> RuleSyntaxError:
        return RuleSyntaxError(
            message,
            token=token.text or "end of rule",
            hint=hint,
            source=self.text,
            span=token.span,
        )

    def too_deep(self, span: Span, level: int | None) -> RuleLimitError:
        got = f" ({level} levels)" if level is not None else ""
        return RuleLimitError(
            f"the rule is nested more than {self.limits.max_depth} levels deep{got}",
            limit="max_depth",
            maximum=self.limits.max_depth,
            actual=level,
            hint="parentheses, 'not', unary '-', function calls and each link of a "
            "'+ - * /' chain add a level; simplify it or split it into several rules",
            source=self.text,
            span=span,
        )

    def enter(self, token: Token) -> None:
        self.nesting += 1
        if self.nesting > self.limits.max_depth:
            raise self.too_deep(token.span, None)

    def leave(self) -> None:
        self.nesting -= 1

    # -- grammar -----------------------------------------------------------------------

    def parse(self) -> Expr:
        if self.peek().kind == "eof":
            raise self.error(
                "the rule is empty",
                self.peek(),
                "write a condition such as amount > 100000",
            )
        tree = self.expr()
        token = self.peek()
        if token.kind != "eof":
            raise self.unexpected_after_value(token)
        return tree

    def unexpected_after_value(self, token: Token) -> RuleSyntaxError:
        hint = "join conditions with 'and' / 'or'"
        if token.text == "[":
            hint = "there are no subscripts; a list literal can only follow 'in'"
        elif token.text == "(":
            hint = f"only the functions {_FUNCTION_LIST} can be called"
        elif token.text == ")":
            hint = "this ')' has no matching '('"
        elif token.text == "not":
            hint = "write 'x not in [...]', or put 'not' before the whole condition"
        elif token.text == ",":
            hint = "a comma only separates function arguments and list items"
        elif token.kind in ("name", "number", "string"):
            hint = "an operator is missing; join conditions with 'and' / 'or'"
        return self.error(f"unexpected {token.describe()} after a complete value", token, hint)

    def expr(self) -> Expr:
        return self.logical("or")

    def logical(self, op: str) -> Expr:
        operands = [self.and_expr() if op == "or" else self.not_expr()]
        while self.at("keyword", op):
            self.advance()
            operands.append(self.and_expr() if op == "or" else self.not_expr())
        if len(operands) == 1:
            return operands[0]
        span = Span(operands[0].span.start, operands[-1].span.end)
        return Logical("or" if op == "or" else "and", tuple(operands), span)

    def and_expr(self) -> Expr:
        return self.logical("and")

    def not_expr(self) -> Expr:
        if self.at("keyword", "not"):
            token = self.advance()
            self.enter(token)
            operand = self.not_expr()
            self.leave()
            return Unary("not", operand, Span(token.span.start, operand.span.end))
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.additive()
        token = self.peek()
        node: Expr
        if token.kind == "op" and token.text in _COMPARE_OPS:
            self.advance()
            right = self.additive()
            op: CompareOp = _compare_op(token.text)
            node = Compare(op, left, right, Span(left.span.start, right.span.end), token.span)
        elif self.at("keyword", "in"):
            self.advance()
            node = self.membership(left, negated=False, op_span=token.span)
        elif (
            self.at("keyword", "not")
            and self.peek(1).kind == "keyword"
            and (self.peek(1).text == "in")
        ):
            self.advance()
            in_token = self.advance()
            node = self.membership(
                left, negated=True, op_span=Span(token.span.start, in_token.span.end)
            )
        else:
            return left
        after = self.peek()
        if (after.kind == "op" and after.text in _COMPARE_OPS) or (
            after.kind == "keyword" and after.text == "in"
        ):
            raise self.error(
                f"comparisons cannot be chained ({after.describe()} after a comparison)",
                after,
                "write 'a < b and b < c', or add parentheses",
            )
        return node

    def additive(self) -> Expr:
        left = self.term()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            token = self.advance()
            right = self.term()
            left = Binary(
                _arith_op(token.text),
                left,
                right,
                Span(left.span.start, right.span.end),
                token.span,
            )
        return left

    def term(self) -> Expr:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/"):
            token = self.advance()
            if self.at("op", "*"):
                raise self.error("unexpected '**'", self.peek(), "there is no power operator")
            right = self.unary()
            left = Binary(
                _arith_op(token.text),
                left,
                right,
                Span(left.span.start, right.span.end),
                token.span,
            )
        return left

    def unary(self) -> Expr:
        if self.at("op", "-"):
            token = self.advance()
            self.enter(token)
            operand = self.unary()
            self.leave()
            return Unary("-", operand, Span(token.span.start, operand.span.end))
        return self.primary()

    def primary(self) -> Expr:
        token = self.peek()
        if token.kind == "number":
            self.advance()
            return Literal(_float(token.value), NUMBER, token.span)
        if token.kind == "string":
            self.advance()
            return Literal(_str(token.value), STRING, token.span)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self.advance()
            if token.text == "null":
                return Literal(None, NULL, token.span)
            return Literal(token.text == "true", BOOL, token.span)
        if token.kind == "name":
            if self.peek(1).kind == "op" and self.peek(1).text == "(":
                return self.call()
            if token.text in FUNCTIONS:
                spec = FUNCTIONS[token.text]
                raise self.error(
                    f"{token.text!r} is a function and must be called",
                    token,
                    f"write {spec.signature}, e.g. {spec.example}",
                )
            self.advance()
            return Name(token.text, token.span)
        if token.kind == "op" and token.text == "(":
            self.advance()
            self.enter(token)
            inner = self.expr()
            self.leave()
            self.expect_close(")", token, "the '('")
            return inner
        if token.kind == "op" and token.text == "[":
            raise self.error(
                "a list literal can only follow 'in' or 'not in'",
                token,
                "write e.g. card_country in ['US', 'CA']",
            )
        if token.kind == "keyword" and token.text == "in":
            hint = "'in' needs a value on its left, e.g. card_country in ['US', 'CA']"
        elif token.kind == "eof":
            hint = "the rule stops too early; complete the expression"
        else:
            hint = "expected a number, string, true/false/null, name, function call or '('"
        raise self.error(f"expected a value, found {token.describe()}", token, hint)

    def expect_close(self, closer: str, opener: Token, purpose: str) -> Token:
        token = self.peek()
        if token.kind == "op" and token.text == closer:
            return self.advance()
        line, column = line_column(self.text, opener.span.start)
        message = f"expected {closer!r} to close {purpose} opened at line {line}, column {column}"
        if token.kind != "eof":
            message += f", found {token.describe()}"
        return_hint = None
        if token.kind in ("name", "number", "string", "keyword"):
            return_hint = "an operator or ',' may be missing"
        raise self.error(message, token, return_hint)

    def call(self) -> Expr:
        name = self.advance()
        opener = self.advance()
        spec = FUNCTIONS.get(name.text)
        if spec is None:
            close = difflib.get_close_matches(name.text, list(FUNCTIONS), n=1, cutoff=0.6)
            raise UnknownNameError(
                name.text,
                kind="function",
                suggestion=close[0] if close else None,
                known=tuple(sorted(FUNCTIONS)),
                source=self.text,
                span=name.span,
            )
        self.enter(opener)
        args: list[Expr] = []
        if not self.at("op", ")"):
            while True:
                args.append(self.expr())
                if self.at("op", ","):
                    self.advance()
                    continue
                break
        close_token = self.expect_close(")", opener, f"the call {spec.name}(")
        self.leave()
        span = Span(name.span.start, close_token.span.end)
        if len(args) != len(spec.params):
            wanted = len(spec.params)
            raise RuleSyntaxError(
                f"{spec.name} takes {wanted} argument{'s' if wanted != 1 else ''}, got {len(args)}",
                token=spec.name,
                hint=f"write {spec.signature}, e.g. {spec.example}",
                source=self.text,
                span=span,
            )
        return Call(spec.name, tuple(args), span, name.span)

    def membership(self, left: Expr, *, negated: bool, op_span: Span) -> Expr:
        opener = self.peek()
        if not (opener.kind == "op" and opener.text == "["):
            raise self.error(
                f"'in' needs a list literal, found {opener.describe()}",
                opener,
                "write e.g. card_country in ['US', 'CA']; for a managed list use "
                "in_list('list_name', value)",
            )
        self.advance()
        items: list[float | str] = []
        item_type: SymbolType | None = None
        while not self.at("op", "]"):
            start = self.peek()
            value, kind = self.list_item()
            if item_type is not None and kind is not item_type:
                raise RuleSyntaxError(
                    f"this list mixes {item_type}s and {kind}s",
                    token=self.text[start.span.start : self.peek().span.start].strip(),
                    hint="a list holds only strings or only numbers",
                    source=self.text,
                    span=Span(start.span.start, max(start.span.end, start.span.start + 1)),
                )
            item_type = kind
            items.append(value)
            if len(items) > self.limits.max_list_items:
                raise RuleLimitError(
                    f"the list holds more than {self.limits.max_list_items} items",
                    limit="max_list_items",
                    maximum=self.limits.max_list_items,
                    hint="put long value lists in a managed list and use in_list('name', value)",
                    source=self.text,
                    span=start.span,
                )
            if self.at("op", ","):
                self.advance()
            elif not self.at("op", "]"):
                self.expect_close("]", opener, "the list")
        close = self.advance()
        return Membership(
            left,
            tuple(items),
            item_type,
            negated,
            Span(left.span.start, close.span.end),
            op_span,
        )

    def list_item(self) -> tuple[float | str, SymbolType]:
        token = self.peek()
        if token.kind == "string":
            self.advance()
            return _str(token.value), STRING
        if token.kind == "number":
            self.advance()
            return _float(token.value), NUMBER
        if token.kind == "op" and token.text == "-" and self.peek(1).kind == "number":
            self.advance()
            number = self.advance()
            return -_float(number.value), NUMBER
        hint = "list items are string or number literals, e.g. ['US', 'CA'] or [1, 2]"
        if token.kind == "keyword" and token.text == "null":
            hint = "a list cannot hold null; test for null with is_null(x)"
        elif token.kind == "eof":
            hint = "close the list with ']'"
        raise self.error(f"expected a list item, found {token.describe()}", token, hint)


def _float(value: float | str | None) -> float:
    if not isinstance(value, float):  # pragma: no cover - the lexer always sets it
        raise TypeError("number token without a value")
    return value


def _str(value: float | str | None) -> str:
    if not isinstance(value, str):  # pragma: no cover - the lexer always sets it
        raise TypeError("string token without a value")
    return value


def _compare_op(text: str) -> CompareOp:
    match text:
        case "==" | "!=" | "<" | "<=" | ">" | ">=":
            return text
    raise ValueError(text)  # pragma: no cover


def _arith_op(text: str) -> ArithOp:
    match text:
        case "+" | "-" | "*" | "/":
            return text
    raise ValueError(text)  # pragma: no cover
