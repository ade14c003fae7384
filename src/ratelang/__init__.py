"""ratelang: the Pulsebill rules language, its compiler and the pricing engine."""

from ratelang.compile import Compiled, compile_file, compile_source
from ratelang.deck import DeckError, load_deck, parse_deck
from ratelang.errors import RuleError, RuleErrors, RuleWarning
from ratelang.numbers import NumberError, normalize
from ratelang.pricing import max_affordable_seconds, price
from ratelang.rating import Call, Rating, RatingError

__all__ = [
    "Call",
    "Compiled",
    "DeckError",
    "NumberError",
    "Rating",
    "RatingError",
    "RuleError",
    "RuleErrors",
    "RuleWarning",
    "compile_file",
    "compile_source",
    "load_deck",
    "max_affordable_seconds",
    "normalize",
    "parse_deck",
    "price",
]
