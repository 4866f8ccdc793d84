"""Oil products: barrels per tonne and the class a sanctions cap counts them in.

Importable without numpy or pandas (the command line takes ``--product`` choices from here).

Barrels per tonne are the Energy Institute's approximate conversion factors (Statistical Review of
World Energy, "Approximate conversion factors", the table formerly in BP's Statistical Review;
the same factors as the UN Statistics Division's Energy Statistics Yearbook): crude oil 7.33,
gasoline 8.53, kerosene / jet fuel 7.88, gas oil / diesel 7.45, residual fuel oil 6.66. A product's
density varies by grade, so a figure in barrels carries that uncertainty too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    name: str
    barrels_per_tonne: float
    cap_class: str  #: the class a cap counts it in: 'refined' (refined petroleum products) or 'crude'
    description: str


PRODUCTS: dict[str, Product] = {
    p.name: p
    for p in (
        Product("gasoil", 7.45, "refined", "gas oil / diesel (the default: most DPRK-bound cargoes)"),
        Product("gasoline", 8.53, "refined", "motor gasoline"),
        Product("kerosene", 7.88, "refined", "kerosene / jet fuel"),
        Product("fuel_oil", 6.66, "refined", "residual fuel oil"),
        Product("crude", 7.33, "crude", "crude oil"),
    )
}
DEFAULT_PRODUCT = "gasoil"
