"""Opens exported grids and targets.gpkg in QGIS (PyQGIS, headless), applies the exported .qml styles and
renders each styled layer to a PNG. Run by test_export.py in its own process, with Debian's python3-qgis:
    /usr/bin/python3 qgis_open.py EXPORT_DIR TARGETS_GPKG OUT_DIR LAYER...
Prints one JSON object: per layer, whether QGIS found it valid, its CRS, extent, the renderer the style gave,
the class labels of a paletted style, and the rendered PNG."""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings, QgsRasterLayer,  # noqa: E402
                       QgsVectorLayer)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


def render(layers, crs, extent, png):
    ms = QgsMapSettings()
    ms.setLayers(layers)
    ms.setDestinationCrs(crs)
    ms.setExtent(extent)
    ms.setOutputSize(QSize(300, 300))
    ms.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(ms)
    job.start()
    job.waitForFinished()
    return job.renderedImage().save(png, "png")


def main():
    exp, gpkg, out = sys.argv[1:4]
    app = QgsApplication([], False)
    app.initQgis()
    result = {}
    keep = []
    for name in sys.argv[4:]:
        layer = QgsRasterLayer(os.path.join(exp, name + ".tif"), name, "gdal")
        r = {"valid": layer.isValid(), "crs": layer.crs().authid(), "extent": [layer.extent().xMinimum(),
             layer.extent().yMinimum(), layer.extent().xMaximum(), layer.extent().yMaximum()]}
        msg, ok = layer.loadNamedStyle(os.path.join(exp, name + ".qml"))
        r["style_loaded"] = bool(ok)
        r["style_message"] = msg
        rend = layer.renderer()
        r["renderer"] = rend.type() if rend else None
        if rend is not None and rend.type() == "paletted":
            r["labels"] = [c.label for c in rend.classes()]
        png = os.path.join(out, "qgis_%s.png" % name)
        r["png"] = png if layer.isValid() and render([layer], layer.crs(), layer.extent(), png) else None
        result[name] = r
        keep.append(layer)
    commodity = sys.argv[4].split("_", 1)[1] if sys.argv[4].startswith("prospectivity_") else "cu"
    targets = QgsVectorLayer(gpkg + "|layername=targets_" + commodity, "targets", "ogr")
    msg, ok = targets.loadNamedStyle(os.path.join(exp, "targets.qml"))
    t = {"valid": targets.isValid(), "features": targets.featureCount(), "style_loaded": bool(ok),
         "style_message": msg, "renderer": targets.renderer().type() if targets.renderer() else None}
    png = os.path.join(out, "qgis_targets.png")
    t["png"] = png if targets.isValid() and render([targets], targets.crs(), targets.extent(), png) else None
    result["targets"] = t
    print(json.dumps(result))
    sys.stdout.flush()
    # exitQgis can crash on some builds after the work is done; the JSON above is the result.
    os._exit(0)


main()
