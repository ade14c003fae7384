"""``ratelang check | compile | price``: the rules language on the command line.

Exit status: 0 success, 1 a rule file, deck, number or call could not be handled,
2 wrong usage. Problems go to stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ratelang.compile import Compiled, compile_file
from ratelang.deck import DeckError, load_deck
from ratelang.errors import RuleError, RuleErrors, RuleWarning
from ratelang.model import CompiledPackage, Deck, Direction
from ratelang.money import parse_amount
from ratelang.numbers import NumberError, normalize
from ratelang.pricing import price
from ratelang.rating import Call, DidPrice, RatingError
from ratelang.serialize import JSON, package_to_dict, rating_to_dict

OK, FAILED, USAGE = 0, 1, 2


class UsageError(Exception):
    """Arguments that make no sense together (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        command = {"check": _check, "compile": _compile, "price": _price}[args.command]
        return command(args)
    except UsageError as exc:
        print(f"ratelang: error: {exc}", file=sys.stderr)
        return USAGE
    except RuleErrors as exc:
        _print_warnings(exc.warnings)
        print(exc.render(), file=sys.stderr)
        return FAILED
    except (DeckError, NumberError, RatingError, OSError) as exc:
        print(f"ratelang: error: {_describe(exc)}", file=sys.stderr)
        return FAILED


def _build_parser() -> _Parser:
    parser = _Parser(prog="ratelang", description="Check, compile and price ratelang packages.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="check rule files; exit 0 when all compile")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--deck", help="operator deck CSV: also warn about costs and coverage")

    compile_ = commands.add_parser("compile", help="print the compiled matching tables")
    compile_.add_argument("file", metavar="FILE")
    compile_.add_argument("--json", action="store_true", help="print JSON")

    price_ = commands.add_parser("price", help="price one call and explain it")
    price_.add_argument("file", metavar="FILE")
    price_.add_argument("--deck", required=True, help="operator deck CSV")
    price_.add_argument("--to", required=True, metavar="NUMBER", help="dialled or called number")
    price_.add_argument("--duration", required=True, type=_seconds, metavar="SECONDS")
    price_.add_argument("--direction", choices=[d.value for d in Direction], default="outbound")
    price_.add_argument("--free-minutes-left", type=_seconds, default=0, metavar="N")
    price_.add_argument("--package", metavar="NAME", help="package name (files with several)")
    price_.add_argument("--did-sell", type=_amount, metavar="RATE", help="inbound: DID sell rate")
    price_.add_argument("--did-cost", type=_amount, metavar="RATE", help="inbound: DID cost rate")
    price_.add_argument("--on-net", nargs="+", default=[], metavar="NUMBER", help="active DIDs")
    price_.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _seconds(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number ≥ 0: {text!r}")
    return int(text)


def _amount(text: str) -> int:
    try:
        value = parse_amount(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a rate with at most 6 decimals: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"negative rate: {text!r}")
    return value


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    return str(exc)


def _print_warnings(warnings: Sequence[RuleWarning]) -> None:
    for warning in warnings:
        print(warning.render(), file=sys.stderr)


def _deck(path: str | None) -> Deck | None:
    return None if path is None else load_deck(path)


def _compile_rules(file: str, deck: Deck | None = None) -> Compiled:
    """``compile_file``; a file without any package is an error here (nothing to use)."""
    compiled = compile_file(file, deck)
    if compiled.packages:
        return compiled
    blank = not Path(file).read_text(encoding="utf-8").strip()
    message = "the file declares no package" + (
        " (it is empty)" if blank else " (only comments and blank lines)"
    )
    hint = 'a package starts with a line such as: package "Basic" {'
    raise RuleErrors((RuleError(file, 1, 1, message, hint=hint),), compiled.warnings)


def _check(args: argparse.Namespace) -> int:
    deck = _deck(args.deck)
    status = OK
    for file in args.files:
        try:
            compiled = _compile_rules(file, deck)
        except RuleErrors as exc:
            _print_warnings(exc.warnings)
            print(exc.render(), file=sys.stderr)
            count = len(exc.errors)
            print(f"{file}: {count} error{'s' if count != 1 else ''}", file=sys.stderr)
            status = FAILED
        except OSError as exc:
            print(f"ratelang: error: {_describe(exc)}", file=sys.stderr)
            status = FAILED
        else:
            _print_warnings(compiled.warnings)
            names = ", ".join(repr(p.name) for p in compiled.packages)
            warned = len(compiled.warnings)
            note = f", {warned} warning{'s' if warned != 1 else ''}" if warned else ""
            print(f"{file}: ok ({names}{note})")
    return status


def compiled_to_json(compiled: Compiled) -> JSON:
    """What ``compile --json`` prints: every package's settings and tables."""
    return {"packages": [package_to_dict(p) for p in compiled.packages]}


def _compile(args: argparse.Namespace) -> int:
    compiled = _compile_rules(args.file)
    _print_warnings(compiled.warnings)
    if args.json:
        print(json.dumps(compiled_to_json(compiled), indent=2))
        return OK
    for package in compiled.packages:
        print(_describe_package(package))
    return OK


def _describe_package(package: CompiledPackage) -> str:
    data = package_to_dict(package)
    lines = [f"package {package.name!r} (line {package.source.line})"]
    lines += [f"  {key}: {_setting(value)}" for key, value in data["settings"].items()]
    for title, rules in (
        ("prefix rules", data["prefix_rules"]),
        ("country rules", data["country_rules"]),
    ):
        lines.append(f"  {title}: {len(rules)}")
        lines += [
            f"    {key:<15} {rule['text']}  (line {rule['line']})" for key, rule in rules.items()
        ]
    if data["usa_canada_rule"]:
        rule = data["usa_canada_rule"]
        lines.append(f"  usa_canada rule: {rule['text']}  (line {rule['line']})")
    zones = [
        z["text"]
        for z in (
            *data["free_zones"]["prefixes"].values(),
            *data["free_zones"]["countries"].values(),
        )
    ]
    if data["free_zones"]["usa_canada"]:
        zones.insert(0, data["free_zones"]["usa_canada"]["text"])
    lines.append(f"  free zones: {', '.join(zones) if zones else 'none'}")
    return "\n".join(lines)


def _setting(value: object) -> str:
    if isinstance(value, dict) and "percent" in value:
        return f"{value['percent']}% + {value['fixed']}"
    if isinstance(value, dict):
        return f"{value['digits']} {value['mode']}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _price(args: argparse.Namespace) -> int:
    direction = Direction(args.direction)
    if direction is Direction.INBOUND and (args.did_sell is None or args.did_cost is None):
        raise UsageError("an inbound call needs --did-sell and --did-cost")
    deck = load_deck(args.deck)
    compiled = _compile_rules(args.file)
    package = _choose(compiled, args.package)
    call = Call(
        number=args.to,
        duration=args.duration,
        direction=direction,
        free_minutes_left=args.free_minutes_left,
        on_net_numbers=frozenset(normalize(n) for n in args.on_net),
        did=DidPrice(args.did_sell, args.did_cost) if direction is Direction.INBOUND else None,
    )
    rating = price(call, package, deck)
    data = rating_to_dict(rating, package.rounding.digits)
    data = {"package": package.name, "currency": package.currency, **data}
    data["rule"]["file"] = args.file if data["rule"]["line"] is not None else None
    data["versions"] = {"deck": deck.version}
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(_format_rating(data))
    return OK


def _choose(compiled: Compiled, name: str | None) -> CompiledPackage:
    if name is None and len(compiled.packages) > 1:
        names = ", ".join(p.name for p in compiled.packages)
        raise UsageError(f"the file has several packages ({names}): choose one with --package")
    try:
        return compiled.package(name)
    except KeyError:
        names = ", ".join(p.name for p in compiled.packages)
        raise UsageError(f"no package {name!r} in the file (it has: {names})") from None


def _format_rating(data: JSON) -> str:
    rule = data["rule"]
    where = f" ({rule['file']}:{rule['line']})" if rule["line"] is not None else ""
    currency = data["currency"]
    rows = [
        ("package", data["package"]),
        ("number", f"+{data['number']} ({data['direction']})"),
        ("destination", f"{data['country'] or '-'} {data['description']}".strip()),
        ("deck prefix", f"{data['deck_prefix'] or '-'} (route {data['route'] or '-'})"),
        ("rule", f"{rule['kind']}: {rule['text']}{where}"),
        ("duration", f"{data['duration']} s"),
        ("pulse", data["pulse"]),
        ("billed", f"{data['billed_seconds']} s (cost: {data['cost_billed_seconds']} s)"),
        ("free minutes", str(data["free_minutes_used"])),
        ("charged", f"{data['charged_seconds']} s"),
        ("sell rate", f"{data['sell_rate']} {currency}/min"),
        ("connect fee", f"{data['connect_fee']} {currency}"),
        ("sell", f"{data['sell']} {currency}"),
        ("cost rate", f"{data['cost_rate']} {currency}/min"),
        ("cost", f"{data['cost']} {currency}"),
        ("profit", f"{data['profit']} {currency}"),
        ("on net", "yes" if data["on_net"] else "no"),
        ("deck version", data["versions"]["deck"]),
    ]
    return "\n".join(f"{label:<13} {value}" for label, value in rows)
