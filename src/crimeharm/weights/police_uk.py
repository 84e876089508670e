"""data.police.uk street-level files: category-level proxy weights.

The monthly street files (``Crime ID, Month, ..., LSOA code, LSOA name, Crime
type, Last outcome category, Context``) carry 14 crime types and no offence
codes, so only a *proxy* weight per crime type is possible. Results scored
with it are labelled as proxies (scheme ``cchi-proxy``, edition
``<edition>+police-uk-proxy``).

The proxy rule, stated so it can be checked and argued with:

1. Each Home Office open-data offence code is mapped to a data.police.uk
   crime type by the public join shipped as ``police-uk-categories``
   (133 codes; from the ONS Crime Severity Score join, see its manifest entry).
2. Each open-data code gets its days in the chosen edition by the edition's
   open-data rule (the median of the offences sharing the code, see
   :class:`crimeharm.WeightTable`).
3. A crime type's proxy is the **median** of the days of its codes that the
   edition carries (each code counted once, whatever its frequency: national
   offence mixes change and are not shipped). ``rule="min"``/``"max"``
   gives bounds.
4. A crime type is police-generated when every one of its codes is (Drugs,
   Possession of weapons), and is excluded by default like any such offence.
5. Anti-social behaviour is not a crime: excluded with reason ``not_crime``.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from crimeharm.errors import CrimeHarmError
from crimeharm.weights.codes import canonical_open_data
from crimeharm.weights.editions import load_mapping, load_weights
from crimeharm.weights.table import WeightTable

__all__ = ["ANTI_SOCIAL_BEHAVIOUR", "PROXY_SCHEME", "police_uk_options", "police_uk_weights"]

ANTI_SOCIAL_BEHAVIOUR = "Anti-social behaviour"
#: The scheme of proxy weights; results scored with them record it.
PROXY_SCHEME = "cchi-proxy"
_RULES = {"median": np.median, "min": np.min, "max": np.max}


def police_uk_weights(
    weights: str | os.PathLike[str] | WeightTable | None = None, *, rule: str = "median"
) -> WeightTable:
    """Proxy days per data.police.uk crime type, derived from an edition.

    Parameters
    ----------
    weights : str, os.PathLike or WeightTable, optional
        The edition to derive from: an edition id (``cchi-2020`` by default), a
        path to a weights CSV or a table (see :func:`crimeharm.load_weights`).
    rule : {'median', 'min', 'max'}
        How to combine the days of a crime type's offence codes.

    Returns
    -------
    WeightTable
        Keyed by crime type (``Burglary``, ``Violence and sexual offences``...;
        lookups ignore case and spaces), with ``codes`` (the open-data codes
        used) and ``n_codes``.

    Examples
    --------
    >>> w = police_uk_weights()
    >>> w.edition
    'cchi-2020+police-uk-proxy'
    >>> w.lookup(["Robbery", "robbery", "Anti-social behaviour"]).tolist()
    [365.0, 365.0, 0.0]
    """
    if rule not in _RULES:
        raise CrimeHarmError(f"unknown proxy rule {rule!r}; expected one of {sorted(_RULES)}")
    base = load_weights(weights)
    mapping = load_mapping("police-uk-categories")
    index = base.index("open_data")
    codes = canonical_open_data(mapping["open_data"])
    mapping = mapping.assign(code=codes)
    pos = pd.Index(index.index).get_indexer(mapping["code"])
    mapping = mapping[pos >= 0].assign(
        days=index["days"].to_numpy()[pos[pos >= 0]],
        flag=index["police_generated"].to_numpy(dtype=bool)[pos[pos >= 0]],
    )
    rows = []
    for category, group in mapping.groupby("police_uk_category", sort=True):
        label = category[:1] + category[1:].lower()
        rows.append(
            {
                "key": label,
                "title": f"data.police.uk crime type {label!r} (proxy)",
                "days": float(_RULES[rule](group["days"].to_numpy())),
                "police_generated": bool(group["flag"].all()),
                "not_crime": False,
                "n_codes": len(group),
                "codes": " ".join(group["code"]),
            }
        )
    rows.append(
        {
            "key": ANTI_SOCIAL_BEHAVIOUR,
            "title": "anti-social behaviour: not a crime",
            "days": 0.0,
            "police_generated": False,
            "not_crime": True,
            "n_codes": 0,
            "codes": "",
        }
    )
    table = pd.DataFrame(rows)
    return WeightTable.from_frame(
        table, edition=f"{base.edition}+police-uk-proxy", sha256=base.sha256, scheme=PROXY_SCHEME
    )


def police_uk_options(
    weights: str | os.PathLike[str] | WeightTable | None = None, *, rule: str = "median"
) -> dict:
    """Scoring options for a data.police.uk street file.

    Pass them to :func:`crimeharm.score` or :func:`crimeharm.harm_index`:
    ``harm_index("2024-01-city-of-london-street.csv", by="LSOA code",
    period="month", **police_uk_options())``.
    """
    return {
        "weights": police_uk_weights(weights, rule=rule),
        "code": "Crime type",
        "code_system": "key",
        "date": "Month",
    }
