"""Public geography of Brazil the generator places customers, sellers and coordinates with.

Each state's region, Olist customer share, zip (CEP) prefix ranges and capital come from the one
definition, olist_dw.contract.BRAZIL (olist_sources.json); here are the major cities with approximate
coordinates (the first one is the capital) and how far small towns spread. No row of the Olist files is
stored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from olist_dw.contract import BRAZIL, plain
from olist_dw.settings import PROJECT_ROOT

__all__ = ["LAT_RANGE", "LNG_RANGE", "OUTSIDE_BRAZIL", "STATES", "STATE_CODES", "STATE_INDEX", "State", "plain"]

DBT_PROJECT = PROJECT_ROOT / "include" / "dbt" / "dbt_project.yml"


@cache
def bounding_box() -> dict[str, float]:
    """Brazil's bounding box, defined once: the dbt var `brazil_bounding_box` (a coordinate outside it is
    "outside Brazil"; the real geolocation has a few)."""
    project = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))
    return {key: float(value) for key, value in project["vars"]["brazil_bounding_box"].items()}


LAT_RANGE = (bounding_box()["min_lat"], bounding_box()["max_lat"])
LNG_RANGE = (bounding_box()["min_lng"], bounding_box()["max_lng"])


@dataclass(frozen=True)
class State:
    code: str
    region: str  # N, NE, CO, SE, S
    customer_share: float  # percent of Olist customers
    zip_ranges: tuple[tuple[int, int], ...]  # inclusive 5-digit prefix ranges
    spread_deg: float  # how far small towns lie from the state's cities
    cities: tuple[tuple[str, float, float, float], ...]  # (proper name, lat, lng, share of the state)


_BRAZIL = {s.code: s for s in BRAZIL}
_TOTAL_CUSTOMERS = sum(s.customers for s in BRAZIL)


def _state(code: str, spread_deg: float, cities: tuple[tuple[str, float, float, float], ...]) -> State:
    shared = _BRAZIL[code]
    if cities[0][0] != shared.capital:
        raise ValueError(f"{code}: the first city must be the capital {shared.capital}, not {cities[0][0]}")
    share = round(100 * shared.customers / _TOTAL_CUSTOMERS, 2)
    return State(code, shared.region, share, shared.zip_ranges, spread_deg, cities)


STATES: tuple[State, ...] = (
    _state("SP", 1.6, (
        ("São Paulo", -23.55, -46.63, 0.37), ("Campinas", -22.91, -47.06, 0.035), ("Guarulhos", -23.46, -46.53, 0.03),
        ("São Bernardo do Campo", -23.69, -46.56, 0.022), ("Santo André", -23.66, -46.53, 0.02),
        ("Osasco", -23.53, -46.79, 0.018), ("Santos", -23.96, -46.33, 0.017),
        ("São José dos Campos", -23.18, -45.88, 0.017), ("Sorocaba", -23.50, -47.46, 0.015),
        ("Ribeirão Preto", -21.18, -47.81, 0.013), ("Jundiaí", -23.19, -46.88, 0.013),
        ("Mogi das Cruzes", -23.52, -46.19, 0.01), ("Barueri", -23.51, -46.88, 0.01),
        ("São José do Rio Preto", -20.82, -49.38, 0.009), ("Piracicaba", -22.73, -47.65, 0.008),
        ("Taubaté", -23.03, -45.56, 0.006), ("Bauru", -22.31, -49.06, 0.006), ("Franca", -20.54, -47.40, 0.005),
        ("Limeira", -22.56, -47.40, 0.005), ("Ibitinga", -21.76, -48.83, 0.002),
    )),
    _state("RJ", 0.6, (
        ("Rio de Janeiro", -22.91, -43.17, 0.55), ("Niterói", -22.88, -43.10, 0.08),
        ("Nova Iguaçu", -22.76, -43.45, 0.05), ("São Gonçalo", -22.83, -43.05, 0.05),
        ("Duque de Caxias", -22.79, -43.31, 0.04), ("Petrópolis", -22.51, -43.18, 0.03),
        ("Campos dos Goytacazes", -21.75, -41.32, 0.03), ("Volta Redonda", -22.52, -44.10, 0.025),
    )),
    _state("MG", 2.0, (
        ("Belo Horizonte", -19.92, -43.94, 0.25), ("Contagem", -19.93, -44.05, 0.04),
        ("Juiz de Fora", -21.76, -43.35, 0.05), ("Uberlândia", -18.92, -48.28, 0.05), ("Betim", -19.97, -44.20, 0.02),
        ("Montes Claros", -16.73, -43.86, 0.02), ("Uberaba", -19.75, -47.93, 0.02),
        ("Governador Valadares", -18.85, -41.95, 0.015), ("Ipatinga", -19.47, -42.54, 0.015),
        ("Divinópolis", -20.14, -44.88, 0.015), ("Poços de Caldas", -21.79, -46.56, 0.012),
    )),
    _state("RS", 1.5, (
        ("Porto Alegre", -30.03, -51.23, 0.30), ("Caxias do Sul", -29.17, -51.18, 0.06),
        ("Canoas", -29.92, -51.18, 0.05),
        ("Pelotas", -31.77, -52.34, 0.04), ("Santa Maria", -29.69, -53.81, 0.04),
        ("Novo Hamburgo", -29.68, -51.13, 0.03), ("Gravataí", -29.94, -50.99, 0.025),
        ("Passo Fundo", -28.26, -52.41, 0.025),
    )),
    _state("PR", 1.5, (
        ("Curitiba", -25.43, -49.27, 0.35), ("Londrina", -23.31, -51.16, 0.08), ("Maringá", -23.42, -51.94, 0.07),
        ("Ponta Grossa", -25.09, -50.16, 0.04), ("Cascavel", -24.96, -53.46, 0.04),
        ("São José dos Pinhais", -25.53, -49.21, 0.03), ("Foz do Iguaçu", -25.55, -54.59, 0.03),
        ("Colombo", -25.29, -49.22, 0.02),
    )),
    _state("SC", 1.0, (
        ("Florianópolis", -27.60, -48.55, 0.15), ("Joinville", -26.30, -48.85, 0.11),
        ("Blumenau", -26.92, -49.07, 0.09),
        ("São José", -27.61, -48.63, 0.06), ("Itajaí", -26.91, -48.67, 0.05),
        ("Balneário Camboriú", -26.99, -48.63, 0.05), ("Criciúma", -28.68, -49.37, 0.05),
        ("Chapecó", -27.10, -52.62, 0.04),
    )),
    _state("BA", 2.5, (
        ("Salvador", -12.97, -38.50, 0.40), ("Feira de Santana", -12.27, -38.97, 0.06),
        ("Vitória da Conquista", -14.86, -40.84, 0.04), ("Camaçari", -12.70, -38.32, 0.03),
        ("Lauro de Freitas", -12.89, -38.33, 0.04), ("Itabuna", -14.79, -39.28, 0.025),
        ("Ilhéus", -14.79, -39.05, 0.02),
        ("Juazeiro", -9.41, -40.50, 0.015),
    )),
    _state("DF", 0.2, (
        ("Brasília", -15.79, -47.88, 0.90), ("Taguatinga", -15.83, -48.06, 0.04), ("Gama", -16.02, -48.06, 0.03),
        ("Sobradinho", -15.65, -47.79, 0.03),
    )),
    _state("ES", 0.7, (
        ("Vitória", -20.32, -40.34, 0.25), ("Vila Velha", -20.33, -40.29, 0.25), ("Serra", -20.13, -40.31, 0.15),
        ("Cariacica", -20.26, -40.42, 0.10), ("Cachoeiro de Itapemirim", -20.85, -41.11, 0.06),
        ("Linhares", -19.39, -40.07, 0.04), ("Colatina", -19.54, -40.63, 0.03),
    )),
    _state("GO", 1.5, (
        ("Goiânia", -16.69, -49.26, 0.50), ("Aparecida de Goiânia", -16.82, -49.24, 0.10),
        ("Anápolis", -16.33, -48.95, 0.08),
        ("Rio Verde", -17.80, -50.93, 0.04), ("Luziânia", -16.25, -47.95, 0.02),
        ("Águas Lindas de Goiás", -15.76, -48.28, 0.02),
    )),
    _state("PE", 1.5, (
        ("Recife", -8.05, -34.88, 0.45), ("Jaboatão dos Guararapes", -8.11, -35.01, 0.10),
        ("Olinda", -8.01, -34.86, 0.07),
        ("Caruaru", -8.28, -35.98, 0.05), ("Petrolina", -9.39, -40.50, 0.05), ("Paulista", -7.94, -34.87, 0.05),
    )),
    _state("CE", 1.5, (
        ("Fortaleza", -3.73, -38.53, 0.65), ("Caucaia", -3.74, -38.66, 0.04),
        ("Juazeiro do Norte", -7.21, -39.31, 0.04),
        ("Maracanaú", -3.88, -38.63, 0.04), ("Sobral", -3.69, -40.35, 0.03),
    )),
    _state("PA", 2.5, (
        ("Belém", -1.46, -48.50, 0.45), ("Ananindeua", -1.37, -48.37, 0.12), ("Santarém", -2.44, -54.71, 0.05),
        ("Marabá", -5.37, -49.12, 0.05), ("Castanhal", -1.30, -47.93, 0.03), ("Parauapebas", -6.07, -49.90, 0.03),
    )),
    _state("MT", 2.5, (
        ("Cuiabá", -15.60, -56.10, 0.40), ("Várzea Grande", -15.65, -56.13, 0.12),
        ("Rondonópolis", -16.47, -54.64, 0.08),
        ("Sinop", -11.86, -55.50, 0.07), ("Tangará da Serra", -14.62, -57.49, 0.03),
    )),
    _state("MA", 2.0, (
        ("São Luís", -2.53, -44.30, 0.50), ("Imperatriz", -5.53, -47.49, 0.10), ("Timon", -5.09, -42.84, 0.04),
        ("Caxias", -4.86, -43.36, 0.03),
    )),
    _state("MS", 2.0, (
        ("Campo Grande", -20.47, -54.62, 0.60), ("Dourados", -22.22, -54.81, 0.10),
        ("Três Lagoas", -20.79, -51.70, 0.05),
        ("Corumbá", -19.01, -57.65, 0.04),
    )),
    _state("PB", 1.0, (
        ("João Pessoa", -7.12, -34.86, 0.50), ("Campina Grande", -7.23, -35.88, 0.20),
        ("Santa Rita", -7.11, -34.98, 0.04),
        ("Patos", -7.02, -37.28, 0.04),
    )),
    _state("PI", 2.0, (
        ("Teresina", -5.09, -42.80, 0.60), ("Parnaíba", -2.90, -41.78, 0.08), ("Picos", -7.08, -41.47, 0.05),
    )),
    _state("RN", 1.0, (
        ("Natal", -5.79, -35.21, 0.55), ("Mossoró", -5.19, -37.34, 0.10), ("Parnamirim", -5.92, -35.26, 0.10),
    )),
    _state("AL", 0.8, (
        ("Maceió", -9.67, -35.74, 0.60), ("Arapiraca", -9.75, -36.66, 0.10),
    )),
    _state("SE", 0.6, (
        ("Aracaju", -10.91, -37.07, 0.60), ("Nossa Senhora do Socorro", -10.85, -37.13, 0.08),
        ("Lagarto", -10.92, -37.65, 0.04),
    )),
    _state("TO", 2.0, (
        ("Palmas", -10.18, -48.33, 0.40), ("Araguaína", -7.19, -48.21, 0.15), ("Gurupi", -11.73, -49.07, 0.08),
    )),
    _state("RO", 2.0, (
        ("Porto Velho", -8.76, -63.90, 0.40), ("Ji-Paraná", -10.88, -61.95, 0.10), ("Ariquemes", -9.91, -63.04, 0.08),
        ("Cacoal", -11.44, -61.45, 0.06), ("Vilhena", -12.74, -60.15, 0.06),
    )),
    _state("AM", 2.5, (
        ("Manaus", -3.12, -60.02, 0.85), ("Parintins", -2.63, -56.74, 0.03), ("Itacoatiara", -3.14, -58.44, 0.03),
    )),
    _state("AC", 1.5, (
        ("Rio Branco", -9.97, -67.81, 0.75), ("Cruzeiro do Sul", -7.63, -72.67, 0.10),
    )),
    _state("AP", 0.8, (("Macapá", 0.03, -51.07, 0.75), ("Santana", -0.06, -51.18, 0.15))),
    _state("RR", 1.0, (
        ("Boa Vista", 2.82, -60.67, 0.85), ("Rorainópolis", 0.94, -60.42, 0.05),
    )),
)  # fmt: skip

STATE_CODES: tuple[str, ...] = tuple(s.code for s in STATES)
STATE_INDEX: dict[str, int] = {code: i for i, code in enumerate(STATE_CODES)}

# Places outside Brazil some real geolocation rows point at (wrongly geocoded zips).
OUTSIDE_BRAZIL: tuple[tuple[float, float], ...] = (
    (41.15, -8.61),  # Porto
    (38.72, -9.14),  # Lisboa
    (42.18, -8.72),  # Vigo
    (25.99, -80.2),  # Florida
    (14.6, -17.4),  # Dakar
    (-0.2, -78.5),  # Quito
)


def state_of_zip(prefix: int) -> str | None:
    for state in STATES:
        if any(low <= prefix <= high for low, high in state.zip_ranges):
            return state.code
    return None
