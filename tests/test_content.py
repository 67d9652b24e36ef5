"""Content is loaded and validated once; broken files stop start-up naming file and key."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from content import ContentError, load
from content.loader import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[1]
RULED_OUT = re.compile(r"\b(addicts?|junkies?|junkie|abusers?|dirty|clean|habit|drug of choice"
                       r"|replacement)\b", re.IGNORECASE)


def copy_locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target)
    return target


def test_shipped_content_loads() -> None:
    texts = load()
    assert texts.default.t("menu.craving") == "🆘 Craving"


def test_missing_key_in_a_translation_names_file_and_key(tmp_path: Path) -> None:
    d = copy_locales(tmp_path)
    shutil.copytree(d / "en", d / "de")
    (d / "de" / "menu.yaml").write_text("craving: 🆘 Verlangen\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"de/menu\.yaml: key menu\.plans is missing"):
        load(d)


def test_placeholder_mismatch_names_file_and_key(tmp_path: Path) -> None:
    d = copy_locales(tmp_path)
    shutil.copytree(d / "en", d / "de")
    path = d / "de" / "plans.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'plan_line: "If {situation}, then {action}."', 'plan_line: "Wenn {situation}."'),
        encoding="utf-8")
    with pytest.raises(ContentError, match=r"de/plans\.yaml: key plans\.plan_line"):
        load(d)


@pytest.mark.parametrize("bad, why", [
    ("x: <script>alert(1)</script>\n", "not allowed"),
    ("x: <b>never closed\n", "never closed"),
    ("x: 'Hello {Name}'\n", "placeholder"),
    ("x: [unclosed\n", "not valid YAML"),
])
def test_malformed_text_is_refused(tmp_path: Path, bad: str, why: str) -> None:
    d = copy_locales(tmp_path)
    (d / "en" / "broken.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ContentError, match=rf"en/broken\.yaml.*{why}"):
        load(d)


def test_placeholder_values_are_escaped() -> None:
    t = load().default
    line = t.t("plans.plan_line", situation="<b>x</b> & y", action="call *Sam*")
    assert line == "If &lt;b&gt;x&lt;/b&gt; &amp; y, then call *Sam*."


def _keys_used_in_code() -> dict[str, str]:
    pattern = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
    used: dict[str, str] = {}
    for path in (ROOT / "bot").rglob("*.py"):
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            used[key] = str(path.relative_to(ROOT))
    return used


def test_every_key_the_code_uses_exists() -> None:
    t = load().default
    used = _keys_used_in_code()
    assert len(used) > 30
    missing = {k: where for k, where in used.items() if not t.has(k)}
    assert missing == {}


def test_no_bot_text_uses_words_ruled_out_by_content_md() -> None:
    """NIDA 'Words Matter': detection patterns may contain them, bot text may not."""
    t = load().default
    offenders = []
    for key, value in t.entries.items():
        if key.startswith("intents"):
            continue
        for text in _all_strings(value):
            if RULED_OUT.search(text):
                offenders.append((key, RULED_OUT.search(text).group(0)))  # type: ignore[union-attr]
    assert offenders == []
    assert len([k for k in t.entries if k.startswith(("safety.", "privacy."))]) > 40
    assert _all_strings({"a": [{"b": "clean"}]}) == ["clean"]  # nested values are read too


def _all_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _all_strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _all_strings(item)]
    return []


def test_help_button_never_says_panic() -> None:
    t = load().default
    assert "panic" not in t.t("menu.craving").lower()
