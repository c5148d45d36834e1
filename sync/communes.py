"""Match typed commune names to the configured communes of a unit."""

from __future__ import annotations

import re
from typing import Any

from sheets_schema.config import Commune, Config
from sync.cells import Problem, Result
from sync.text import clean_text, loose_key

# Loose-key prefixes for commune kinds, longest first so "thi tran" wins over "t".
_PREFIXES = ("thi tran ", "phuong ", "xa ", "tt ", "p ", "x ")
_NUMBERED = re.compile(r"^(?:p|f|phuong)\s*(\d+)$")


def _strip_prefix(key: str) -> tuple[str, str]:
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return prefix.strip(), key[len(prefix):]
    return "", key


_KIND_OF_PREFIX = {"thi tran": "thi tran", "tt": "thi tran", "phuong": "phuong", "p": "phuong",
                   "xa": "xa", "x": "xa"}


class CommuneMatcher:
    """Resolve commune text for one unit; units without communes of their own (the
    province office, equivalent units) may name any commune of the province."""

    def __init__(self, config: Config | None, unit_code: str) -> None:
        self.unit_code = unit_code
        self.unit_name = unit_code
        all_communes: tuple[Commune, ...] = config.all_communes if config else ()
        own: tuple[Commune, ...] = ()
        if config and config.has_unit(unit_code):
            unit = config.unit(unit_code)
            self.unit_name = unit.name
            own = unit.communes
        self.own = own or all_communes
        self.unit_names = {u.code: u.name for u in config.units} if config else {}
        self._own_index = self._index(self.own)
        self._all_index = self._index(all_communes)

    @staticmethod
    def _index(communes: tuple[Commune, ...]) -> dict[str, list[Commune]]:
        index: dict[str, list[Commune]] = {}
        for commune in communes:
            full = loose_key(commune.name)
            _, bare = _strip_prefix(full)
            for key in {full, bare}:
                index.setdefault(key, []).append(commune)
        return index

    def _lookup(self, index: dict[str, list[Commune]], text: str) -> list[Commune]:
        key = loose_key(text)
        numbered = _NUMBERED.match(key)
        if numbered:
            key = f"phuong {int(numbered.group(1))}"
        hits = index.get(key)
        if hits is None:
            prefix, bare = _strip_prefix(key)
            hits = index.get(bare, [])
            if prefix and len(hits) > 1:
                kind = _KIND_OF_PREFIX[prefix]
                hits = [c for c in hits if loose_key(c.kind) == kind] or hits
        unique = {c.code or c.name: c for c in hits}
        return list(unique.values())

    def parse(self, raw: Any) -> Result:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = clean_text(str(raw))
        hits = self._lookup(self._own_index, text)
        if len(hits) == 1:
            return hits[0].name, None
        if len(hits) > 1:
            return None, Problem("ambiguous_choice", params=(("choices", "; ".join(c.name for c in hits)),))
        elsewhere = self._lookup(self._all_index, text)
        if len(elsewhere) == 1:
            other = elsewhere[0]
            return None, Problem("commune_of_other_unit", params=(
                ("other_unit_name", self.unit_names.get(other.unit_code, other.unit_code)),
                ("unit_name", self.unit_name)))
        example = self.own[0].name if self.own else "Xã Tân Thuận"
        return None, Problem("unknown_commune", params=(("unit_name", self.unit_name), ("example", example)))
