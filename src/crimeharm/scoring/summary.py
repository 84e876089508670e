"""What happened to every record a call read: the reconciliation summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crimeharm.reasons import REASONS
from crimeharm.weights.police_uk import PROXY_SCHEME

__all__ = ["Summary"]


def _count(value: float) -> int | float:
    """A sum of counts as an int when it is a whole number (always, for whole counts)."""
    return int(value) if np.isfinite(value) and value == int(value) else value


@dataclass
class Summary:
    """What happened to every record: rows in = rows included + rows excluded by reason.

    Harm is in days. ``harm_excluded`` is the harm of excluded records whose
    offence code is known, per reason: the proactive (``police_generated``,
    ``police_initiated``), company-detected and historic series.

    Attributes
    ----------
    edition, edition_sha256, scheme : str
        The weights edition's id, the sha256 of its file and its scheme.
    rows_in, rows_included : int
        Rows read and rows included, in rows (records).
    crimes_included : float
        Crimes included: the sum of the counts (one per row without ``count``).
    harm_included : float
        Harm included, in days.
    rows_excluded : collections.Counter
        Rows excluded, per reason.
    crimes_excluded : dict of str to float
        Crimes excluded (sums of counts), per reason.
    harm_excluded : dict of str to float
        Harm excluded, in days, per reason (records with a known code).
    unknown_codes, ambiguous_codes, crosswalked_codes : collections.Counter
        Rows per offence code the edition does not carry, that several of its
        offences share, and that were read through the crosswalk (``28A->28E``).
    bad_dates, implausible_dates : list
        Up to five examples of dates that could not be read, and of dates
        outside ``date_range``.
    blank_flags : collections.Counter
        Rows with a blank yes/no value, per flag column.
    flag_values : dict
        Per flag column, the rows of each value outside the yes/no vocabulary.
    blank_areas : dict
        Per ``by`` column with blank areas: the included crimes and harm (days) there.
    unknown_scored_zero : int
        Rows with an unknown code scored as 0 days (``unknown='zero'``), in rows.
    options : dict
        The scoring options (:meth:`ScoreOptions.describe`).
    notes : list
        Further lines of the report (:meth:`to_text`), one note each.
    """

    edition: str
    edition_sha256: str
    scheme: str
    rows_in: int = 0
    rows_included: int = 0
    crimes_included: float = 0.0
    harm_included: float = 0.0
    rows_excluded: Counter = field(default_factory=Counter)
    crimes_excluded: dict[str, float] = field(default_factory=dict)  # sums of counts
    harm_excluded: dict[str, float] = field(default_factory=dict)  # days
    unknown_codes: Counter = field(default_factory=Counter)
    ambiguous_codes: Counter = field(default_factory=Counter)
    crosswalked_codes: Counter = field(default_factory=Counter)
    bad_dates: list = field(default_factory=list)
    implausible_dates: list = field(default_factory=list)
    blank_flags: Counter = field(default_factory=Counter)
    flag_values: dict = field(default_factory=dict)
    #: per ``by`` column with blank areas: the included crimes and harm (days) there
    blank_areas: dict = field(default_factory=dict)
    unknown_scored_zero: int = 0
    options: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def reconciles(self) -> bool:
        """True when rows in = rows included + rows excluded (always, by construction)."""
        return self.rows_in == self.rows_included + sum(self.rows_excluded.values())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Summary:
        """Rebuild a summary from :meth:`as_dict`, as results carry it in ``attrs``.

        ``as_dict`` keeps the ten most frequent unknown codes and five bad
        dates, so a summary rebuilt from it holds those only. A summary
        written before ``crosswalked_codes`` existed is read with none.

        Parameters
        ----------
        data : mapping
            ``result.attrs["crimeharm"]["summary"]``; the JSON form a Parquet
            file keeps (lists for pairs) is read too.
        """
        return cls(
            edition=data["edition"],
            edition_sha256=data["edition_sha256"],
            scheme=data["scheme"],
            rows_in=data["rows_in"],
            rows_included=data["rows_included"],
            crimes_included=data["crimes_included"],
            harm_included=data["harm_days_included"],
            rows_excluded=Counter(data["rows_excluded"]),
            crimes_excluded=dict(data["crimes_excluded"]),
            harm_excluded=dict(data["harm_days_excluded"]),
            unknown_codes=Counter(dict(data["unknown_codes_top"])),
            ambiguous_codes=Counter(data["ambiguous_codes"]),
            crosswalked_codes=Counter(data.get("crosswalked_codes", {})),
            bad_dates=list(data["bad_date_examples"]),
            blank_areas={c: dict(v) for c, v in data.get("blank_areas", {}).items()},
            unknown_scored_zero=data["unknown_scored_zero"],
            options=dict(data["options"]),
            notes=list(data["notes"]),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain values, in the order a report reads them."""
        return {
            "edition": self.edition,
            "edition_sha256": self.edition_sha256,
            "scheme": self.scheme,
            "rows_in": self.rows_in,
            "rows_included": self.rows_included,
            "rows_excluded": {r: self.rows_excluded[r] for r in REASONS if self.rows_excluded[r]},
            "crimes_included": _count(self.crimes_included),
            "crimes_excluded": {
                r: _count(self.crimes_excluded.get(r, 0.0))
                for r in REASONS
                if self.rows_excluded[r]
            },
            "harm_days_included": self.harm_included,
            "harm_days_excluded": {
                r: self.harm_excluded.get(r, 0.0) for r in REASONS if self.rows_excluded[r]
            },
            "unknown_codes_top": self.unknown_codes.most_common(10),
            "ambiguous_codes": dict(self.ambiguous_codes.most_common()),
            "crosswalked_codes": dict(self.crosswalked_codes.most_common()),
            "bad_date_examples": self.bad_dates[:5],
            "implausible_date_examples": self.implausible_dates[:5],
            "blank_flags": dict(self.blank_flags),
            "unknown_flag_values": {
                col: dict(values.most_common()) for col, values in self.flag_values.items()
            },
            "blank_areas": {col: dict(v) for col, v in self.blank_areas.items()},
            "unknown_scored_zero": self.unknown_scored_zero,
            "options": self.options,
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        """The report printed after a run (``crimeharm score``, ``crimeharm example``).

        Rows read, included and excluded (in total, then per reason with the
        harm excluded, in days), crimes and harm (days) included, the most
        frequent unknown codes, the retired codes read through the crosswalk
        (``28A->28E``: records whose code was scored as its successor's,
        whether included or excluded for another reason), examples of
        unparseable dates, the ambiguous
        codes scored by a rule, the edition and its sha256 (flagged when the
        weights are data.police.uk proxies) and any notes.
        """
        excluded = sum(self.rows_excluded.values())
        lines = [
            f"rows read        {self.rows_in:>14,}",
            f"rows included    {self.rows_included:>14,}",
            f"rows excluded    {excluded:>14,}",
        ]
        for reason in REASONS:
            if self.rows_excluded[reason]:
                harm = self.harm_excluded.get(reason, 0.0)
                extra = f"   harm {harm:,.1f} days" if harm else ""
                lines.append(f"  excluded {reason:<17}{self.rows_excluded[reason]:>11,}{extra}")
        if not self.reconciles():
            lines.append(
                f"NOT RECONCILED: rows read {self.rows_in:,} != included + excluded "
                f"{self.rows_included + excluded:,}"
            )
        lines.append(f"crimes included  {self.crimes_included:>14,.0f}")
        lines.append(f"harm (days)      {self.harm_included:>16,.1f}")
        if self.unknown_codes:
            top = ", ".join(f"{c!s} ({n:,})" for c, n in self.unknown_codes.most_common(5))
            lines.append(f"unknown codes    {top}")
        if self.crosswalked_codes:
            top = ", ".join(f"{c} ({n:,})" for c, n in self.crosswalked_codes.most_common(5))
            lines.append(f"retired codes, scored by their successors: {top}")
        if self.bad_dates:
            lines.append("unparseable dates, e.g. " + ", ".join(map(repr, self.bad_dates[:5])))
        if self.implausible_dates:
            lines.append("implausible dates, e.g. " + ", ".join(self.implausible_dates[:5]))
        for col, n in self.blank_flags.items():
            lines.append(f"blank yes/no     {n:>14,}  in {col!r}")
        for col, values in self.flag_values.items():
            top = ", ".join(f"{v!r} ({k:,})" for v, k in values.most_common(5))
            lines.append(f"unknown yes/no values in {col!r}: {top}")
        for col, blank in self.blank_areas.items():
            lines.append(
                f"blank {col!r}: {blank['crimes']:,} crime(s), {blank['harm_days']:,.1f} days "
                "included, in the row(s) labelled (blank)"
            )
        if self.ambiguous_codes:
            top = ", ".join(f"{c} ({n:,})" for c, n in self.ambiguous_codes.most_common(5))
            lines.append(f"ambiguous codes, scored by rule: {top}")
        proxy = "  [PROXY weights per crime type]" if self.scheme == PROXY_SCHEME else ""
        lines.append(f"weights          {self.edition}  sha256 {self.edition_sha256}{proxy}")
        lines.extend(self.notes)
        return "\n".join(lines)

    def note_implausible(self, days: np.ndarray) -> None:
        """Keep up to five distinct implausible dates (day numbers) as examples."""
        for day in np.unique(days)[:5].tolist():
            text = str(np.datetime64(int(day), "D"))
            if text not in self.implausible_dates and len(self.implausible_dates) < 5:
                self.implausible_dates.append(text)

    def add_totals(self, totals: Mapping[int, tuple[int, float, float]]) -> None:
        """Add rows, crimes and harm per status code (0 included), e.g. read off sums."""
        for status, (rows, crimes, harm) in totals.items():
            self.rows_in += rows
            if status == 0:
                self.rows_included += rows
                self.crimes_included += crimes
                self.harm_included += harm
            else:
                reason = REASONS[status - 1]
                self.rows_excluded[reason] += rows
                self.crimes_excluded[reason] = self.crimes_excluded.get(reason, 0.0) + crimes
                self.harm_excluded[reason] = self.harm_excluded.get(reason, 0.0) + harm

    def add_bad_dates(self, bad: list) -> None:
        """Keep up to five distinct examples of unparseable dates, the first met."""
        if bad and len(self.bad_dates) < 5:
            self.bad_dates.extend(b for b in bad if b not in self.bad_dates)
            del self.bad_dates[5:]

    def merge(self, other: Summary) -> None:
        """Add the counts of another summary of the same options (another part of the records).

        Counters add, keeping the order their keys were first met; examples
        of bad dates follow :meth:`add_bad_dates`.
        """
        self.rows_in += other.rows_in
        self.rows_included += other.rows_included
        self.crimes_included += other.crimes_included
        self.harm_included += other.harm_included
        for mine, theirs in (
            (self.rows_excluded, other.rows_excluded),
            (self.crimes_excluded, other.crimes_excluded),
            (self.harm_excluded, other.harm_excluded),
            (self.unknown_codes, other.unknown_codes),
            (self.ambiguous_codes, other.ambiguous_codes),
            (self.crosswalked_codes, other.crosswalked_codes),
        ):
            mine.update(theirs)
        self.add_bad_dates(other.bad_dates)
        for text in other.implausible_dates:  # as note_implausible keeps them
            if text not in self.implausible_dates and len(self.implausible_dates) < 5:
                self.implausible_dates.append(text)
        self.blank_flags.update(other.blank_flags)
        for col, values in other.flag_values.items():
            self.flag_values.setdefault(col, Counter()).update(values)
        self.unknown_scored_zero += other.unknown_scored_zero

    def merge_batch(self, status: np.ndarray, crimes: np.ndarray | None, harm: np.ndarray) -> None:
        """Add one scored batch's tallies (``crimes`` None: one crime a row)."""
        n_status = len(REASONS) + 1
        index = status.astype(np.intp, copy=False)  # cast once for the three counts
        rows = np.bincount(index, minlength=n_status)
        if crimes is None:
            cr = rows.astype(float)
        else:
            cr = np.bincount(index, weights=crimes, minlength=n_status)
        known = np.isfinite(harm)
        if known.all():
            hm = np.bincount(index, weights=harm, minlength=n_status)
        else:
            hm = np.bincount(index[known], weights=harm[known], minlength=n_status)
        self.rows_in += len(status)
        self.rows_included += int(rows[0])
        self.crimes_included += float(cr[0])
        self.harm_included += float(hm[0])
        for i, reason in enumerate(REASONS, start=1):
            if rows[i]:
                self.rows_excluded[reason] += int(rows[i])
                self.crimes_excluded[reason] = self.crimes_excluded.get(reason, 0.0) + float(cr[i])
                self.harm_excluded[reason] = self.harm_excluded.get(reason, 0.0) + float(hm[i])
