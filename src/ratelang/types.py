"""Type aliases shared by the ratelang modules (aliases only)."""

from typing import TypeAlias

Micros: TypeAlias = int
"""An amount in micro-units of a currency (10**-6); a rate is micro-units per minute."""

Digits: TypeAlias = str
"""A telephone number or prefix as E.164 digits, without ``+``."""

CountryCode: TypeAlias = str
"""An ISO 3166-1 alpha-2 code, upper case."""
