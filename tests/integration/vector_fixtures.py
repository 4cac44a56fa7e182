"""Small geology, structure and feature vector files over a synthetic survey, for the geology tests."""
import json
import os

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

GRID_CRS = 28350
UNITS = ["granite", "sediments", "ultramafic", "volcanics"]  # sorted: class codes 1..4


def srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def write_layer(path, driver, layer_name, epsg, geom_type, fields, features):
    """features: list of (wkt, {field: value}) in the CRS `epsg` (None: no CRS)."""
    drv = ogr.GetDriverByName(driver)
    if os.path.exists(path):
        drv.DeleteDataSource(path)
    ds = drv.CreateDataSource(path)
    lyr = ds.CreateLayer(layer_name, srs(epsg) if epsg else None, geom_type)
    for name in fields:
        lyr.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    for wkt, values in features:
        f = ogr.Feature(lyr.GetLayerDefn())
        for k, v in values.items():
            f.SetField(k, v)
        if wkt is not None:
            f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        lyr.CreateFeature(f)
    ds = None


def box(x0, y0, x1, y1):
    return "POLYGON((%r %r,%r %r,%r %r,%r %r,%r %r))" % (x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)


def geology_features(grid_extent):
    """Four units over the grid extent and beyond (grid CRS), with a slanted contact and an ultramafic body."""
    xmin, ymin, xmax, ymax = grid_extent
    w, h = xmax - xmin, ymax - ymin
    pad = 2000.0
    xm = xmin + 0.45 * w
    granite = "POLYGON((%r %r,%r %r,%r %r,%r %r,%r %r))" % (
        xmin - pad, ymin - pad, xm - 0.1 * w, ymin - pad, xm + 0.13 * w, ymax + pad, xmin - pad, ymax + pad,
        xmin - pad, ymin - pad)
    rest = "POLYGON((%r %r,%r %r,%r %r,%r %r,%r %r))" % (
        xm - 0.1 * w, ymin - pad, xmax + pad, ymin - pad, xmax + pad, ymax + pad, xm + 0.13 * w, ymax + pad,
        xm - 0.1 * w, ymin - pad)
    ultramafic = box(xmin + 0.6 * w + 13.7, ymin + 0.55 * h + 7.1, xmin + 0.82 * w + 3.3, ymin + 0.8 * h + 11.9)
    volcanics = "POLYGON((%r %r,%r %r,%r %r,%r %r))" % (
        xmin + 0.65 * w + 3.1, ymin + 0.1 * h + 5.3, xmin + 0.95 * w + 1.7, ymin + 0.15 * h + 2.9,
        xmin + 0.8 * w + 7.7, ymin + 0.4 * h + 1.3, xmin + 0.65 * w + 3.1, ymin + 0.1 * h + 5.3)
    # Later features overwrite earlier ones where they overlap (the sediments polygon lies under the others).
    return [(granite, {"unit": "granite"}), (rest, {"unit": "sediments"}), (ultramafic, {"unit": "ultramafic"}),
            (volcanics, {"unit": "volcanics"})]


def fault_features(grid_extent):
    xmin, ymin, xmax, ymax = grid_extent
    w, h = xmax - xmin, ymax - ymin
    return [
        ("LINESTRING(%r %r,%r %r,%r %r)" % (xmin - 500, ymin + 0.3 * h + 3.3, xmin + 0.5 * w + 7.9, ymin + 0.35 * h + 1.1,
                                             xmax + 400, ymin + 0.9 * h + 2.2), {"type": "fault"}),
        ("LINESTRING(%r %r,%r %r)" % (xmin + 0.2 * w + 1.3, ymax + 300, xmin + 0.25 * w + 4.4, ymin + 0.5 * h + 2.6),
         {"type": "fault"}),
        # Crosses the first fault (a fault intersection).
        ("LINESTRING(%r %r,%r %r)" % (xmin + 0.6 * w + 1.7, ymin - 200, xmin + 0.65 * w + 2.9, ymax + 200),
         {"type": "fault"}),
        # Outside the grid but within max_distance: it must still count.
        ("LINESTRING(%r %r,%r %r)" % (xmax + 600, ymin - 800, xmax + 700, ymax + 900), {"type": "fault"}),
        ("LINESTRING(%r %r,%r %r)" % (xmin + 0.1 * w, ymin + 0.1 * h, xmin + 0.9 * w, ymin + 0.12 * h),
         {"type": "dyke"}),
    ]


def feature_points(grid_extent):
    xmin, ymin, xmax, ymax = grid_extent
    w, h = xmax - xmin, ymax - ymin
    pts = [(0.7, 0.66), (0.72, 0.7), (0.3, 0.2), (0.31, 0.22), (0.32, 0.21), (0.9, 0.9), (1.2, 0.5), (-0.1, 0.95)]
    return [("POINT(%r %r)" % (xmin + a * w + 3.7, ymin + b * h + 1.9), {"kind": "intrusion"}) for a, b in pts]


def to_wgs84(features):
    ct = osr.CoordinateTransformation(srs(GRID_CRS), srs(4326))
    out = []
    for wkt, v in features:
        g = ogr.CreateGeometryFromWkt(wkt)
        g.Transform(ct)
        out.append((g.ExportToWkt(), v))
    return out


def write_all(folder, grid_extent):
    """Writes geology.gpkg (EPSG:4326), faults.geojson (grid CRS) and intrusions.gpkg; returns their paths."""
    geo = os.path.join(folder, "geology.gpkg")
    write_layer(geo, "GPKG", "units", 4326, ogr.wkbPolygon, ["unit"], to_wgs84(geology_features(grid_extent)))
    faults = os.path.join(folder, "faults.geojson")
    write_layer(faults, "GeoJSON", "faults", GRID_CRS, ogr.wkbLineString, ["type"], fault_features(grid_extent))
    pts = os.path.join(folder, "intrusions.gpkg")
    write_layer(pts, "GPKG", "intrusions", GRID_CRS, ogr.wkbPoint, ["kind"], feature_points(grid_extent))
    return geo, faults, pts


def geology_inputs(geo, faults, pts, max_distance=1500.0):
    return [
        {"id": "geol", "kind": "geology", "path": geo, "attribute": "unit", "contact_units": ["granite"],
         "max_distance": max_distance},
        {"id": "faults", "kind": "structures", "path": faults, "where": "type = 'fault'",
         "max_distance": max_distance, "density_radius": 300.0},
        {"id": "intr", "kind": "features", "path": pts, "max_distance": max_distance, "density_radius": 260.0},
    ]
