#include "pipeline/io/h5_write_util.hpp"

#include "pipeline/base/errors.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace prospector {

using namespace h5;

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

} // namespace

void write_pam_sidecar(const std::string& h5_path, const GridSpec& grid,
                       const std::vector<std::string>& grids) {
  const std::string where = h5_path + ".aux.xml";
  gdal::SpatialRef srs = grid_srs(grid, where);
  std::string wkt = srs.to_wkt1();
  if (wkt.empty()) wkt = srs.to_wkt();
  int count = 0;
  const int* map = OSRGetDataAxisToSRSAxisMapping(srs.get(), &count);
  std::string mapping;
  for (int i = 0; i < count; ++i)
    mapping += (i ? "," : "") + std::to_string(map[i]);
  const auto gt = grid.geotransform();
  std::string gts;
  for (std::size_t i = 0; i < gt.size(); ++i)
    gts += (i ? ", " : " ") + fmt17(gt[i]);

  std::ostringstream xml;
  xml << "<PAMDataset>\n";
  for (const std::string& g : grids) {
    xml << "  <Subdataset name=\"" << xml_escape("//" + g) << "\">\n"
        << "    <PAMDataset>\n"
        << "      <SRS dataAxisToSRSAxisMapping=\"" << mapping << "\">" << xml_escape(wkt) << "</SRS>\n"
        << "      <GeoTransform>" << gts << "</GeoTransform>\n"
        << "      <PAMRasterBand band=\"1\">\n"
        << "        <NoDataValue>" << fmt17(kFillValue) << "</NoDataValue>\n"
        << "      </PAMRasterBand>\n"
        << "    </PAMDataset>\n"
        << "  </Subdataset>\n";
  }
  xml << "</PAMDataset>\n";

  const std::string tmp = where + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw_runtime("cannot create " + tmp + " (is the output folder writable?)");
    out << xml.str();
    out.flush();
    if (!out) throw_runtime("cannot write " + tmp + " (check free disk space)");
  }
  if (std::rename(tmp.c_str(), where.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw_runtime("cannot rename " + tmp + " to " + where);
  }
}

} // namespace prospector
