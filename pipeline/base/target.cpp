#include "pipeline/base/target.hpp"

namespace prospector {

nlohmann::json to_json(const CommodityTargets& ct) {
  nlohmann::json ts = nlohmann::json::array();
  for (const auto& t : ct.targets)
    ts.push_back({{"rank", t.rank},
                  {"peak", t.peak_score},
                  {"mean", t.mean_score},
                  {"cells", t.cells},
                  {"area", t.area},
                  {"cx", t.centroid_x},
                  {"cy", t.centroid_y},
                  {"px", t.peak_x},
                  {"py", t.peak_y},
                  {"rx", t.rep_x},
                  {"ry", t.rep_y},
                  {"bbox", {t.xmin, t.ymin, t.xmax, t.ymax}},
                  {"evidence", t.evidence},
                  {"polygons", t.polygons}});
  return {{"commodity", ct.commodity},
          {"threshold", ct.threshold},
          {"top_fraction", ct.top_fraction},
          {"targets", ts}};
}

CommodityTargets targets_from_json(const nlohmann::json& j) {
  CommodityTargets ct;
  ct.commodity = j["commodity"];
  ct.threshold = j["threshold"];
  ct.top_fraction = j["top_fraction"];
  for (const auto& x : j["targets"]) {
    Target t;
    t.rank = x["rank"];
    t.peak_score = x["peak"];
    t.mean_score = x["mean"];
    t.cells = x["cells"];
    t.area = x["area"];
    t.centroid_x = x["cx"];
    t.centroid_y = x["cy"];
    t.peak_x = x["px"];
    t.peak_y = x["py"];
    t.rep_x = x.at("rx");
    t.rep_y = x.at("ry");
    t.xmin = x["bbox"][0];
    t.ymin = x["bbox"][1];
    t.xmax = x["bbox"][2];
    t.ymax = x["bbox"][3];
    t.evidence = x["evidence"];
    t.polygons = x["polygons"].get<std::vector<Polygon>>();
    ct.targets.push_back(std::move(t));
  }
  return ct;
}

} // namespace prospector
