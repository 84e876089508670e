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
6. The other names of a crime type are keys too (the shipped
   ``police-uk-crime-types`` table, transcribed with its sources by
   ``scripts/build_weights.py``): the API's slugs (``violent-crime``,
   ``anti-social-behaviour``, ``criminal-damage-arson``, ...) and the types of
   files before May 2013. A name that stands for one current type gets that
   type's proxy (``Violent crime`` and ``violent-crime`` are Violence and
   sexual offences; ``anti-social-behaviour`` is not a crime). A name that
   stands for several (``Public disorder and weapons``, split in May 2013 into
   Public order and Possession of weapons) is proxied by rules 3 and 4 over the
   codes of all of them: the median of their days, police-generated only if
   every code is (it is not: public-order offences have victims). Slugs that
   differ from their type's name only in case (``burglary``) need no key of
   their own: lookups ignore case and spaces.

   Not corrected: ``Other theft`` and ``Other crime`` are proxied by what they
   hold today in every month, though before May 2013 Other theft also held
   bicycle theft and theft from the person, and in the first months of
   data.police.uk Other crime held most of what now has its own type.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from crimeharm.errors import CrimeHarmError
from crimeharm.weights.codes import canonical_open_data, normalise_text
from crimeharm.weights.editions import load_mapping, load_weights
from crimeharm.weights.table import WeightTable

__all__ = ["ANTI_SOCIAL_BEHAVIOUR", "PROXY_SCHEME", "police_uk_options", "police_uk_weights"]

ANTI_SOCIAL_BEHAVIOUR = "Anti-social behaviour"
#: The scheme of proxy weights; results scored with them record it.
PROXY_SCHEME = "cchi-proxy"
_RULES: dict[str, Callable[[np.ndarray], Any]] = {"median": np.median, "min": np.min, "max": np.max}


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
        lookups ignore case and spaces) and by the types' other names (API
        slugs, the types used before May 2013; rule 6), with ``codes`` (the
        open-data codes used), ``n_codes`` and ``alias_of`` (the current types
        a name stands for; blank for a current type).

    Examples
    --------
    >>> w = police_uk_weights()
    >>> w.edition
    'cchi-2020+police-uk-proxy'
    >>> w.lookup(["Robbery", "robbery", "Anti-social behaviour"]).tolist()
    [365.0, 365.0, 0.0]
    >>> w.lookup(["violent-crime", "Violent crime"]).tolist() == w.lookup(
    ...     ["Violence and sexual offences"] * 2).tolist()
    True
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
    mapping["crime_type"] = mapping["police_uk_category"].map(lambda c: c[:1] + c[1:].lower())
    codes_of = dict(list(mapping.groupby("crime_type", sort=True)))

    def proxy(key: str, title: str, types: list[str], alias_of: str) -> dict:
        if types == [ANTI_SOCIAL_BEHAVIOUR]:
            days, flag, not_crime, group = 0.0, False, True, mapping.iloc[:0]
        else:
            group = pd.concat([codes_of[t] for t in types])
            days = float(_RULES[rule](group["days"].to_numpy()))
            flag, not_crime = bool(group["flag"].all()), False
        return {
            "key": key,
            "title": title,
            "days": days,
            "police_generated": flag,
            "not_crime": not_crime,
            "n_codes": len(group),
            "codes": " ".join(group["code"]),
            "alias_of": alias_of,
        }

    rows = [proxy(t, f"data.police.uk crime type {t!r} (proxy)", [t], "") for t in sorted(codes_of)]
    rows.append(
        proxy(
            ANTI_SOCIAL_BEHAVIOUR, "anti-social behaviour: not a crime", [ANTI_SOCIAL_BEHAVIOUR], ""
        )
    )
    known = {normalise_text([r["key"]])[0]: r["key"] for r in rows}
    for name, kind, types in load_mapping("police-uk-crime-types")[
        ["name", "kind", "crime_types"]
    ].itertuples(index=False):
        stands_for = [t.strip() for t in types.split(";")]
        same = known.get(normalise_text([name])[0])
        if same is not None:  # 'burglary' is 'Burglary' to a lookup: no key of its own
            if [same] != stands_for:
                raise CrimeHarmError(
                    f"police-uk-crime-types: {name!r} stands for {stands_for}, but lookups "
                    f"read it as the crime type {same!r}"
                )
            continue
        what = "API slug" if kind == "api_slug" else "crime type used before May 2013"
        title = f"data.police.uk {what} {name!r}: {' + '.join(stands_for)} (proxy)"
        rows.append(proxy(name, title, stands_for, "; ".join(stands_for)))
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
    period="month", **police_uk_options())``. The weights are proxies, one
    per crime type (see the module docstring): the result is not a CCHI.

    Parameters
    ----------
    weights : str, path or WeightTable, optional
        The edition the proxies are derived from (``cchi-2020`` by default).
    rule : {'median', 'min', 'max'}
        How a crime type's days are drawn from those of its open-data codes:
        the median (default), or the bounds.

    Returns
    -------
    dict
        ``weights`` (the proxy table, edition ``<edition>+police-uk-proxy``),
        ``code`` (``Crime type``), ``code_system`` (``key``) and ``date``
        (``Month``).

    Examples
    --------
    >>> import pandas as pd
    >>> import crimeharm
    >>> street = pd.DataFrame({"Month": ["2024-01"] * 3, "LSOA code": ["E1", "E1", "E2"],
    ...                        "Crime type": ["Burglary", "Drugs", "Anti-social behaviour"]})
    >>> table = crimeharm.harm_index(street, by="LSOA code", **police_uk_options())
    >>> table[["LSOA code", "crimes", "harm_days", "excluded"]]
      LSOA code  crimes  harm_days  excluded
    0        E1       1       14.5         1
    1        E2       0        0.0         1
    >>> table.attrs["crimeharm"]["edition"]
    'cchi-2020+police-uk-proxy'
    """
    return {
        "weights": police_uk_weights(weights, rule=rule),
        "code": "Crime type",
        "code_system": "key",
        "date": "Month",
    }
