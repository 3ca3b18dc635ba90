"""Names of category groups: a group is a code on its categories, named here (de, en)."""

from __future__ import annotations

from collections.abc import Iterable

from ..core.catalog import Category

GROUP_NAMES: dict[str, dict[str, str]] = {
    "strasse": {"de": "Straße und Gehweg", "en": "Roads and pavements"},
    "beleuchtung": {"de": "Beleuchtung", "en": "Lighting"},
    "sauberkeit": {"de": "Sauberkeit", "en": "Cleanliness"},
    "gruen": {"de": "Grünflächen", "en": "Green spaces"},
    "ordnung": {"de": "Ordnung", "en": "Public order"},
    "sonstiges": {"de": "Sonstiges", "en": "Other"},
    "verkehr": {"de": "Verkehr", "en": "Traffic"},
    "wasser": {"de": "Wasser", "en": "Water"},
}


def group_names(categories: Iterable[Category]) -> dict[str, dict[str, str]]:
    """Every group the categories use, named: the known name, a lone category's own name, or
    the categories' names listed ("Schlagloch, Gehwegschaden")."""
    members: dict[str, list[Category]] = {}
    for cat in categories:
        members.setdefault(cat.group, []).append(cat)
    out: dict[str, dict[str, str]] = {}
    for group, cats in members.items():
        if group in GROUP_NAMES:
            out[group] = dict(GROUP_NAMES[group])
        else:
            cats.sort(key=lambda c: (c.position or 0, c.code))
            out[group] = {
                "de": ", ".join(c.name_de for c in cats[:3]) + (" …" if len(cats) > 3 else ""),
                "en": ", ".join(c.name_en for c in cats[:3]) + (" …" if len(cats) > 3 else ""),
            }
    return out
