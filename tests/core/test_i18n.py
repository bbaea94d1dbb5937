"""The zh-Hans catalogue is complete and compiled (conventions: every string translated)."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries() -> list[dict]:
    """A small .po reader: msgctxt, msgid, msgid_plural, msgstr[n], flags."""
    entries, cur, key = [], None, None
    for raw in PO.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if cur is not None:
                entries.append(cur)
            cur, key = None, None
            continue
        if cur is None:
            cur = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            cur["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                cur["msgstr"][key[1]] += value
            else:
                cur[key] += value
        else:
            word, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if word.startswith("msgstr["):
                key = ("msgstr", int(word[7:-1]))
                cur["msgstr"][key[1]] = value
            elif word == "msgstr":
                key = ("msgstr", 0)
                cur["msgstr"][0] = value
            else:
                key = word
                cur[word] = value
    return [e for e in entries if e.get("msgid")]


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = _entries()
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy (ignored at run time): {fuzzy}"


def test_compiled_catalogue_matches_the_po_file():
    with open(PO.with_suffix(".mo"), "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for e in _entries():
        if "msgid_plural" in e:
            got = compiled.ngettext(e["msgid"], e["msgid_plural"], 1)
        elif "msgctxt" in e:
            got = compiled.pgettext(e["msgctxt"], e["msgid"])
        else:
            got = compiled.gettext(e["msgid"])
        if got != e["msgstr"][0]:
            stale.append(e["msgid"])
    assert not stale, f"run `make messages` (compilemessages): {stale[:10]}"
