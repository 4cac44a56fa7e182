#include "pipeline/job/job_detail.hpp"

#include "pipeline/base/errors.hpp"

namespace prospector::detail {

using namespace options;

void add_vector_options(Decl<InputSpec>& d) {
  d.add(&InputSpec::layer, "layer",
        "geology, structures, features: vector layer name (default: the dataset's first layer)");
  d.add(&InputSpec::attribute, "attribute",
        "geology: attribute holding each polygon's unit name (the category); the units become class "
        "indices 1, 2, .. in the sorted order of their names, and the class table is written with the "
        "layer");
  d.add(&InputSpec::where, "where",
        "geology, structures, features: OGR SQL attribute filter selecting the features used, e.g. "
        "\"type = 'fault'\"")
      .max_length(kMaxTextLength);
  d.add(&InputSpec::contact_units, "contact_units",
        "geology: units given a distance-to-contact layer <id>_contact_<unit> (distance from each cell "
        "centre to the nearest cell centre across the unit's boundary)");
  d.add(&InputSpec::max_distance, "max_distance",
        "geology, structures, features: distances are computed on the whole grid padded by this many map "
        "units, so they are exact up to it for any tiling, and larger distances are written as it; 0 = "
        "256 cells")
      .range(0.0, std::nullopt);
  d.add(&InputSpec::density_radius, "density_radius",
        "structures, features: radius (map units) of the circle over which line length or point count "
        "per unit area is taken; 0 = 10 cells")
      .range(0.0, std::nullopt);
  d.add(&InputSpec::invalid_geometries, "invalid_geometries",
        "geology, structures, features: skip (invalid geometries are counted, left out and reported in "
        "the log) or error (the first one stops the run, naming its feature id)")
      .choices({"skip", "error"});
  d.add(&InputSpec::class_file, "class_file",
        "categorical_raster: CSV with columns value,name naming the classes, relative to the job file "
        "(default: the raster's attribute table)");
}

void check_vector_input(const InputSpec& in, const std::string& where) {
  const bool vector = is_vector_kind(in.kind);
  if (vector && !in.paths.empty())
    throw_usage(where + ".path': " + in.kind + " takes one vector dataset (a file, or a shapefile folder)");
  const InputSpec defaults;
  if (!vector && (!in.layer.empty() || !in.where.empty() || in.max_distance != defaults.max_distance ||
                  in.invalid_geometries != defaults.invalid_geometries))
    throw_usage(where + "': layer, where, max_distance and invalid_geometries apply to geology, structures "
                        "and features inputs only");
  if (in.kind != "structures" && in.kind != "features" && in.density_radius != defaults.density_radius)
    throw_usage(where + ".density_radius': applies to structures and features inputs only");
  if (in.kind == "categorical_raster" && in.resampling != "auto" && in.resampling != "nearest")
    throw_usage(where + ".resampling': a categorical_raster is always resampled nearest-neighbour (class "
                        "codes cannot be averaged); remove the key or set \"nearest\"");
  for (size_t k = 0; k < in.contact_units.size(); ++k)
    for (size_t m = 0; m < k; ++m)
      if (in.contact_units[k] == in.contact_units[m])
        throw_usage(where + ".contact_units': unit '" + in.contact_units[k] + "' is listed twice");
}

} // namespace prospector::detail
