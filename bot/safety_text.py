"""The safety messages, composed from content (pure: no Telegram, no database)."""

from __future__ import annotations

from datetime import date

from content import Catalog
from content.crisis import CountryLines


def lines_block(t: Catalog, c: CountryLines) -> str:
    """Emergency number and crisis lines of one country (or the 112 fallback)."""
    title = "safety.lines_title_fallback" if c.fallback else "safety.lines_title"
    out = [t.t(title, flag=c.flag, country=c.name)]
    key = "safety.emergency_fallback" if c.fallback else "safety.emergency"
    out.append(t.t(key, number=c.emergency))
    out += [t.t("safety.line", name=line.name, number=line.number, note=line.note)
            for line in c.lines]
    if c.fallback:
        out.append(t.t("safety.fallback_note"))
    return "\n".join(out)


def crisis_message(t: Catalog, c: CountryLines, *, talk: bool, craving_hint: bool = False,
                   ) -> str:
    """`talk`: an answer to suicidal thoughts or self-harm; else the plain list (/helpnow)."""
    opening, close = (("safety.crisis_open", "safety.crisis_close") if talk else
                      ("safety.helpnow_open", "safety.helpnow_close"))
    parts = [t.t(opening), lines_block(t, c), t.t(close, emergency=c.emergency)]
    if craving_hint:
        parts.append(t.t("safety.craving_hint"))
    return "\n\n".join(parts)


def overdose_message(t: Catalog, c: CountryLines) -> str:
    return t.t("safety.overdose", emergency=c.emergency)


def harm_reduction(t: Catalog, c: CountryLines) -> str:
    alone = (t.t("safety.no_use_alone", name=c.no_use_alone.name, number=c.no_use_alone.number)
             if c.no_use_alone is not None else t.t("safety.no_use_alone_none"))
    # the inner text is already escaped HTML: fill it in without a second escape
    return t.t("safety.harm_reduction", no_use_alone="{a}", emergency=c.emergency).replace(
        "{a}", alone)


def about_to_use_message(t: Catalog, c: CountryLines) -> str:
    return t.t("safety.about_to_use", harm_reduction="{h}").replace("{h}", harm_reduction(t, c))


def slip_message(t: Catalog, c: CountryLines) -> str:
    return t.t("safety.slip_thanks", harm_reduction="{h}").replace("{h}", harm_reduction(t, c))


def format_day(t: Catalog, day: date) -> str:
    return t.t("safety.day_format", weekday=t.list("safety.weekdays")[day.weekday()],
               day=day.day, month=t.list("safety.months")[day.month - 1])
