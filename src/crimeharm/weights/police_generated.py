"""Which offences police generate by their own initiative: the offence-level flag.

The 2016 paper leaves out "proactively detected, previously unreported
offences: drug arrests, traffic arrests, shop theft detected by store security,
and similar". The official sheets carry no such flag, so crimeharm curates one.
The rules below are applied to every edition, shipped or imported, and each
flagged row records the rule that flagged it in ``police_generated_reason``.

Rules (in order; the first that matches gives the reason):

``drugs``
    Drug offences: open-data codes 92A-92E (trafficking, possession, other),
    or the sheet's group ``DRUG OFFENCES``. Found by stop and search, warrants
    and test purchases; the paper names drug arrests.
``weapons``
    Possession of weapons: open-data codes 10A-10D, 81 (other firearms) and
    90 (other knives), or the group ``POSSESSION OF WEAPONS``. Possession with
    no victim is found by search, as drugs are (the Cambridge consensus,
    Sherman 2020, lists them with drug offences).
``non_notifiable``
    Offences that are not notifiable (``NOTIFIABLE`` is ``Non-Notifiable``):
    mostly summary traffic and regulatory offences found by police or
    agencies; not counted in recorded crime at all.
``traffic``
    Notifiable traffic offences that police detect at the roadside: open-data
    codes 802 (dangerous driving) and 814 (fraud and forgery of driving
    licences and vehicle records). The paper names traffic arrests.

Not flagged, on purpose: shop theft (a record-level matter: the paper excludes
it when *store security* detects it, which only the record can tell: use
``company_detected`` in :func:`crimeharm.score`), public order, tampering with
or immobilising vehicles (victims report them), and assaults on police
(officers are victims). Record-level flags in the user's data (how the crime
came to notice) are applied by the scorer on top of this.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["POLICE_GENERATED_RULES", "flag_police_generated"]

POLICE_GENERATED_RULES: dict[str, str] = {
    "drugs": "drug offence (open-data 92A-92E / group DRUG OFFENCES)",
    "weapons": "possession of weapons (open-data 10A-10D, 81, 90 / group POSSESSION OF WEAPONS)",
    "non_notifiable": "non-notifiable offence (traffic and regulatory, found by police)",
    "traffic": "notifiable traffic offence detected by police (open-data 802, 814)",
}

_DRUG_CODES = {"92A", "92B", "92C", "92D", "92E"}
_WEAPON_CODES = {"10A", "10B", "10C", "10D", "81", "90"}
_TRAFFIC_CODES = {"802", "814"}


def _column(table: pd.DataFrame, name: str) -> pd.Series:
    if name in table.columns:
        return table[name].astype("string").str.strip().str.upper()
    return pd.Series(pd.NA, index=table.index, dtype="string")


def flag_police_generated(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Flag the offences of a weights table that police generate themselves.

    Parameters
    ----------
    table : pandas.DataFrame
        A weights table with any of the columns ``open_data``, ``group`` and
        ``notifiable`` (boolean).

    Returns
    -------
    flags : numpy.ndarray of bool
        True where the offence is police-generated.
    reasons : numpy.ndarray of object
        The rule name (a key of :data:`POLICE_GENERATED_RULES`) or ``None``.

    Examples
    --------
    >>> t = pd.DataFrame({"open_data": ["92A", "8N", "NN", "802"],
    ...                   "notifiable": [True, True, False, True]})
    >>> flag_police_generated(t)[1].tolist()
    ['drugs', None, 'non_notifiable', 'traffic']
    """
    open_data = _column(table, "open_data")
    group = _column(table, "group")
    if "notifiable" in table.columns:
        notifiable = table["notifiable"].astype("boolean").fillna(value=True).to_numpy(dtype=bool)
    else:
        notifiable = np.ones(len(table), dtype=bool)
    rules = [
        ("drugs", open_data.isin(_DRUG_CODES) | (group == "DRUG OFFENCES")),
        ("weapons", open_data.isin(_WEAPON_CODES) | (group == "POSSESSION OF WEAPONS")),
        ("non_notifiable", pd.Series(~notifiable, index=table.index)),
        ("traffic", open_data.isin(_TRAFFIC_CODES)),
    ]
    reasons = np.full(len(table), None, dtype=object)
    for name, mask in reversed(rules):  # earlier rules win
        reasons[mask.fillna(value=False).to_numpy(dtype=bool)] = name
    return pd.notna(reasons), reasons
