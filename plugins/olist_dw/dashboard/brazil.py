"""Brazil's 27 federative units: names and the state shapes of the shipped base map.

The shapes come from `static/topojson/south-america_50m.json` (see the README beside it), decoded here
from TopoJSON into the GeoJSON that a plotly choropleth colours; nothing is fetched at run time.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from olist_dw.contract import BRAZIL

STATIC_DIR = Path(__file__).resolve().parent / "static"
TOPOJSON_PATH = STATIC_DIR / "topojson" / "south-america_50m.json"

STATE_NAMES: dict[str, str] = {state.code: state.name for state in BRAZIL}  # "SP" -> "São Paulo"


def _decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat points of every arc (quantized, delta-encoded arcs when a transform is present)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for dx, dy in arc:
                x, y = x + dx, y + dy
                points.append((x * sx + tx, y * sy + ty))
        else:
            points = [(float(px), float(py)) for px, py in arc]
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[list[float]]:
    # TopoJSON: a negative index ~i means arc i reversed; consecutive arcs share their joining point.
    ring: list[list[float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend([list(p) for p in (points[1:] if ring else points)])
    return ring


@cache
def states_geojson() -> dict[str, Any]:
    """GeoJSON FeatureCollection of the 27 states, each feature's `id` its two-letter code (e.g. "SP")."""
    topology = json.loads(TOPOJSON_PATH.read_text())
    arcs = _decode_arcs(topology)
    features = []
    for geometry in topology["objects"]["subunits"]["geometries"]:
        if geometry["type"] == "Polygon":
            coordinates: list = [_ring(arcs, ring) for ring in geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            coordinates = [[_ring(arcs, ring) for ring in polygon] for polygon in geometry["arcs"]]
        else:  # pragma: no cover - the file holds polygons only
            continue
        features.append(
            {
                "type": "Feature",
                "id": geometry["id"],
                "properties": {"name": STATE_NAMES.get(geometry["id"], geometry["id"])},
                "geometry": {"type": geometry["type"], "coordinates": coordinates},
            }
        )
    return {"type": "FeatureCollection", "features": features}
