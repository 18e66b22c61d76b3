"""The staff UI's text catalogue: every key a template asks for exists, in Dutch and English alike."""

from __future__ import annotations

import re
import string
from pathlib import Path

from services.api import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates"
STATIC_KEY = re.compile(r"""\bt\(\s*'([a-z0-9_.]+)'""")


def test_every_key_the_templates_use_is_in_the_catalogue() -> None:
    used = {key for page in TEMPLATES.glob("*.html") for key in STATIC_KEY.findall(page.read_text())}
    assert used, "no t('…') calls found"
    # 'status.' ~ s.status and the like are built in the template; their values are checked below.
    assert sorted(key for key in used - set(i18n.CATALOGUE) if not key.endswith(".")) == []


def test_every_status_band_channel_role_and_sort_has_a_text() -> None:
    from services.api.signals.schemas import BANDS, CHANNELS, STATUSES
    from services.api.users import Role

    needed = [f"status.{s}" for s in STATUSES] + [f"band.{b}" for b in (*BANDS, "none")]
    needed += [f"channel.{c}" for c in CHANNELS] + [f"role.{r.value}" for r in Role]
    needed += [f"sort.{key}" for key in ("newest", "oldest", "score", "due")]
    assert [key for key in needed if key not in i18n.CATALOGUE] == []


def test_both_languages_have_every_text_with_the_same_placeholders() -> None:
    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for key, (dutch, english) in i18n.CATALOGUE.items():
        assert dutch and english, key
        assert fields(dutch) == fields(english), key


def test_an_unknown_language_falls_back_to_dutch() -> None:
    assert i18n.text("nav.queue", "fr") == "Wachtrij"
    assert i18n.text("queue.count", "en", n=3) == "3 signals"
