"""Generate ``src/api/demo_data/demo-deck.csv``: a SAMPLE operator deck from phonenumbers.

Rows: every geographic country calling code (country = its main region); the regions that
share a code but own leading digits (e.g. KZ under 7, AX under 358); NANP area codes of
the Caribbean countries (JM 1876, DO 1809/1829/1849, …) and of Canada, with ``1`` itself
for the US; one mobile prefix per calling code: the first one or two digits of the
example mobile number that the example fixed-line number does not share. Rates are
illustrative, derived from a hash of the prefix: deterministic, value < premium, not a
real price list.

Usage: ``.venv/bin/python scripts/make_demo_deck.py [OUTPUT]`` (default
src/api/demo_data/demo-deck.csv, shipped in the package; data/demo-deck.csv links to it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from itertools import product
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneMetadata, geocoder

from ratelang.countries import is_country

NON_ISO_REGIONS = {"AC": "SH", "TA": "SH"}  # Ascension and Tristan da Cunha belong to SH
NAMES = {"XK": "Kosovo", "AC": "Ascension Island", "TA": "Tristan da Cunha"}
NANP_PULSE = "6/6"
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "src" / "api" / "demo_data" / "demo-deck.csv"

Row = tuple[str, str, str, int, int, str]


def country_name(region: str) -> str:
    """The English name of a region, from the geocoder (with a few fallbacks)."""
    if region in NAMES:
        return NAMES[region]
    example = phonenumbers.example_number(region)
    name = geocoder.country_name_for_number(example, "en") if example else ""
    return str(name) or region


def expand(pattern: str, max_length: int = 4) -> list[str]:
    """The shortest digit strings (≤ ``max_length``) that fully match ``pattern``."""
    compiled = re.compile(pattern)
    found: list[str] = []
    for length in range(1, max_length + 1):
        for combo in product("0123456789", repeat=length):
            digits = "".join(combo)
            if compiled.fullmatch(digits) and not any(digits.startswith(f) for f in found):
                found.append(digits)
    return found


def rates(prefix: str, *, mobile: bool = False, domestic: bool = False) -> tuple[int, int]:
    """Illustrative (value, premium) rates in micro-units, from a hash of the prefix."""
    digest = int.from_bytes(hashlib.sha256(prefix.encode()).digest()[:8], "big")
    # US/CA: 0.0040 … 0.0080; elsewhere 0.0080 … 0.1275
    value = 4_000 + (digest % 9) * 500 if domestic else 8_000 + (digest % 240) * 500
    if mobile:
        value *= 2
    premium = value + 1_000 + ((digest >> 16) % 40) * 500
    return value, premium


def _metadata(region: str) -> PhoneMetadata:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise SystemExit(f"no phonenumbers metadata for {region}")
    return metadata


def iso(region: str) -> str:
    return NON_ISO_REGIONS.get(region, region)


def nanp_rows() -> list[Row]:
    """``1`` for the US, then the Canadian and Caribbean area codes as ``1NPA``."""
    rows: list[Row] = [("1", "US", "United States", *rates("1", domestic=True), NANP_PULSE)]
    seen: set[str] = {"1"}
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]:
        if region == "US":
            continue
        if region == "CA":
            area_codes = [str(n) for n in range(200, 1000) if _canadian(n)]
        else:
            leading = _metadata(region).leading_digits
            area_codes = [a for a in expand(leading or "", 4) if len(a) == 3]
        for area in area_codes:
            prefix = "1" + area
            if prefix not in seen:
                seen.add(prefix)
                name = country_name(region)
                cost = rates(prefix, domestic=region == "CA")
                rows.append((prefix, iso(region), name, *cost, NANP_PULSE))
    return rows


def _canadian(area: int) -> bool:
    """An area code valid in Canada and not in the US (shared toll-free codes excluded)."""
    number = phonenumbers.parse(f"+1{area}2345678")
    return phonenumbers.is_valid_number_for_region(
        number, "CA"
    ) and not phonenumbers.is_valid_number_for_region(number, "US")


def world_rows() -> list[Row]:
    """Each calling code, regions with own leading digits, and one mobile prefix each."""
    rows: list[Row] = []
    seen: set[str] = set()
    for code, regions in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()):
        if code == 1 or regions[0] == "001":  # NANP apart; 001 = non-geographic services
            continue
        cc = str(code)
        main = regions[0]
        rows.append((cc, iso(main), country_name(main), *rates(cc), ""))
        seen.add(cc)
        for region in regions:
            metadata = _metadata(region)
            if region != main and metadata.leading_digits:
                for leading in expand(metadata.leading_digits, 5):
                    prefix = cc + leading
                    if prefix not in seen:
                        seen.add(prefix)
                        rows.append((prefix, iso(region), country_name(region), *rates(prefix), ""))
        mobile = _mobile_prefix(_metadata(main))
        if mobile is not None and cc + mobile not in seen:
            prefix = cc + mobile
            seen.add(prefix)
            name = f"{country_name(main)} - mobile"
            rows.append((prefix, iso(main), name, *rates(prefix, mobile=True), ""))
    return rows


def _mobile_prefix(metadata: PhoneMetadata) -> str | None:
    """The first one or two digits of the example mobile number that no fixed line shares."""
    mobile = metadata.mobile.example_number if metadata.mobile else None
    fixed = (metadata.fixed_line.example_number if metadata.fixed_line else None) or ""
    if not mobile or len(mobile) < 4:
        return None
    for length in (1, 2):
        if fixed[:length] != mobile[:length]:
            return str(mobile[:length])
    return None


def render(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["prefix", "country", "description", "value_rate", "premium_rate", "pulse"])
    for prefix, country, description, value, premium, pulse in sorted(rows):
        if not is_country(country):
            raise SystemExit(f"not an ISO country: {country} for prefix {prefix}")
        writer.writerow([prefix, country, description, _rate(value), _rate(premium), pulse])
    return buffer.getvalue()


def _rate(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"[:-2]  # 4 decimals


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    text = render(nanp_rows() + world_rows())
    output.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 1} rows to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
