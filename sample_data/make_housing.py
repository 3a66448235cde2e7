"""Generate sample_data/housing.csv: a realistic small housing table with missing values.

Run: python sample_data/make_housing.py  (seeded, so the output is the same every time).
Numeric and categorical columns, NaNs in several of each, and a price that depends on them,
so a linear model learns something real from it.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ROWS = 3000
SEED = 20261127
NEIGHBORHOODS = {"OldTown": 0.85, "CollgCr": 1.0, "NridgHt": 1.45, "Edwards": 0.8, "Somerst": 1.2, "Gilbert": 1.05}
HOUSE_STYLES = ["1Story", "2Story", "1.5Fin", "SLvl"]
GARAGES = ["Attchd", "Detchd", "BuiltIn"]


def maybe(value: object, p_missing: float, rng: random.Random) -> object:
    """``value``, or an empty field (read by pandas as NaN) with probability ``p_missing``."""
    return "" if rng.random() < p_missing else value


def make_rows(rng: random.Random) -> list[list[object]]:
    rows = []
    for _ in range(ROWS):
        hood = rng.choice(list(NEIGHBORHOODS))
        year = rng.randint(1900, 2010)
        area = max(400, int(rng.gauss(1500, 450)))
        lot = max(1300, int(rng.lognormvariate(9.1, 0.35)))
        rooms = max(2, min(12, round(area / 260 + rng.gauss(0, 1))))
        baths = max(1.0, min(4.5, round((area / 900 + rng.gauss(0, 0.4)) * 2) / 2))
        garage = rng.choice(GARAGES) if rng.random() > 0.06 else ""
        cars = 0 if not garage else rng.choice([1, 2, 2, 2, 3])
        alley = rng.choice(["Pave", "Grvl"]) if rng.random() < 0.07 else ""
        quality = max(1, min(10, round(rng.gauss(6, 1.4))))
        price = (
            (area * 85 + lot * 1.2 + (year - 1900) * 480 + quality * 9500 + cars * 6000 + baths * 7000)
            * NEIGHBORHOODS[hood]
            * rng.lognormvariate(0, 0.08)
        )
        rows.append(
            [
                maybe(lot, 0.02, rng),
                year,
                maybe(area, 0.01, rng),
                maybe(rooms, 0.08, rng),
                maybe(baths, 0.03, rng),
                quality,
                hood,
                maybe(rng.choice(HOUSE_STYLES), 0.02, rng),
                alley,
                garage,
                cars if garage else maybe(0, 0.5, rng),
                "Y" if rng.random() > 0.07 else "N",
                int(round(price, -2)),
            ]
        )
    return rows


def main() -> None:
    rng = random.Random(SEED)
    header = [
        "LotArea", "YearBuilt", "LivingArea", "NumRooms", "Bathrooms", "OverallQual", "Neighborhood",
        "HouseStyle", "Alley", "GarageType", "GarageCars", "CentralAir", "Price",
    ]  # fmt: skip
    out = Path(__file__).with_name("housing.csv")
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(make_rows(rng))
    print(f"wrote {out} ({ROWS} rows)")


if __name__ == "__main__":
    main()
