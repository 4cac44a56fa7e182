#include "pipeline/io/geochem_csv.hpp"

#include "kernels/geochem/substitute_censored.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace prospector {

namespace {

std::vector<std::string> split(const std::string& line, char delim) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == delim && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// One CSV record: lines are joined while a quoted field is open (RFC 4180 allows newlines inside quotes), and
// a record longer than kMaxRecord stops the read instead of growing without bound (a file of no newlines).
constexpr size_t kMaxRecord = size_t(1) << 20;

bool read_record(std::streambuf& sb, std::string& rec, std::int64_t& lineno, const InputSpec& in) {
  rec.clear();
  bool quoted = false, any = false;
  for (int c = sb.sbumpc(); c != std::char_traits<char>::eof(); c = sb.sbumpc()) {
    any = true;
    if (c == '"') quoted = !quoted;
    if (c == '\n') {
      ++lineno;
      if (!quoted) return true;
    }
    if (rec.size() >= kMaxRecord)
      throw_input(
          in.path + ": input '" + in.id + "': line " + std::to_string(lineno + 1) +
          ": a record longer than 1 MiB" +
          (quoted ? " (a quoted field is never closed: check the quotes)" : " (is this a CSV file?)") +
          "; fix or split the file");
    rec += static_cast<char>(c);
  }
  if (any) ++lineno;
  if (quoted)
    throw_input(in.path + ": input '" + in.id + "': line " + std::to_string(lineno) +
                ": a quoted field is still open at the end of the file; close its quote");
  return any;
}

bool parse_double(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

int column_index(const std::vector<std::string>& header, const std::string& name, const InputSpec& in,
                 const std::string& key) {
  for (size_t i = 0; i < header.size(); ++i)
    if (trim(header[i]) == name) return static_cast<int>(i);
  std::string avail;
  for (size_t i = 0; i < header.size() && i < 12; ++i)
    avail += (i ? ", " : "") + trim(header[i]);
  // One header field holding ';' is a semicolon-separated file, as spreadsheets with decimal commas write.
  const bool semicolons = header.size() == 1 && header[0].find(';') != std::string::npos;
  throw_input(in.path + ": input '" + in.id + "': column '" + name + "' (" + key +
              ") not found in the header (" + avail + (header.size() > 12 ? ", ..." : "") + "); " +
              (semicolons ? "the file is semicolon-separated (decimal commas?): save it as comma-separated "
                            "with decimal points"
                          : "fix the job's " + key));
}

} // namespace

GeochemSamples read_geochem_csv(const InputSpec& in) {
  std::ifstream f(in.path, std::ios::binary);
  if (!f) throw_input(in.path + ": input '" + in.id + "': file not found or unreadable (check the path)");
  std::string line;
  std::int64_t lineno = 0;
  std::streambuf& sb = *f.rdbuf();
  if (!read_record(sb, line, lineno, in))
    throw_input(in.path + ": input '" + in.id + "': empty file, expected a CSV header");
  if (line.size() >= 3 && static_cast<unsigned char>(line[0]) == 0xEF) line = line.substr(3); // UTF-8 BOM
  const auto header = split(line, in.delimiter);
  const int xi = column_index(header, in.x_column, in, "x_column");
  const int yi = column_index(header, in.y_column, in, "y_column");
  std::vector<int> ei;
  GeochemSamples s;
  for (const auto& e : in.elements) {
    ei.push_back(column_index(header, e.column, in, "elements column"));
    s.counts.push_back({e.element});
  }
  s.values.resize(in.elements.size());
  // Censored cells hold their detection limit until geochem.substitute_censored replaces them below.
  std::vector<std::vector<std::uint8_t>> censored(in.elements.size());
  while (read_record(sb, line, lineno, in)) {
    if (trim(line).empty()) continue;
    ++s.rows;
    const auto cells = split(line, in.delimiter);
    auto cell = [&](int i) {
      return i < static_cast<int>(cells.size()) ? trim(cells[static_cast<size_t>(i)]) : std::string();
    };
    double x = 0, y = 0;
    if (!parse_double(cell(xi), x) || !parse_double(cell(yi), y) || !std::isfinite(x) || !std::isfinite(y) ||
        std::fabs(x) > 1e300 || std::fabs(y) > 1e300) {
      ++s.bad_coordinates;
      continue;
    }
    s.x.push_back(x);
    s.y.push_back(y);
    for (size_t k = 0; k < ei.size(); ++k) {
      ElementCounts& c = s.counts[k];
      const std::string t = cell(ei[k]);
      double v = NAN;
      float out = NAN;
      std::uint8_t flag = 0;
      if (!t.empty() && t[0] == '<') {
        double dl = 0;
        if (parse_double(trim(t.substr(1)), dl) && dl > 0 && dl < 3.0e38) {
          out = static_cast<float>(dl);
          flag = 1;
          ++c.censored_lt;
        } else {
          ++c.missing;
        }
      } else if (!parse_double(t, v) || !std::isfinite(v) || std::fabs(v) > 3.0e38) {
        ++c.missing;
      } else if (v < 0) {
        if (in.below_detection.negative_values) {
          out = static_cast<float>(-v);
          flag = 1;
          ++c.censored_negative;
        } else {
          ++c.invalid_negative;
        }
      } else if (v == 0) {
        if (in.below_detection.zero_means_missing)
          ++c.not_analysed_zero;
        else
          ++c.invalid_zero;
      } else {
        out = static_cast<float>(v);
        ++c.measured;
      }
      s.values[k].push_back(out);
      censored[k].push_back(flag);
    }
  }
  if (s.x.empty())
    throw_input(in.path + ": input '" + in.id + "': no sample with valid coordinates in " +
                std::to_string(s.rows) + " data rows (check x_column/y_column and the delimiter)");
  kernels::CensoredParams cp;
  const std::string& method = in.below_detection.substitute;
  if (method == "half_dl")
    cp.method = kernels::CensoredMethod::HalfDl;
  else if (method == "dl_sqrt2_over_2")
    cp.method = kernels::CensoredMethod::DlSqrt2Over2;
  else if (method == "ros")
    cp.method = kernels::CensoredMethod::Ros;
  else
    throw_usage(in.path + ": input '" + in.id + "': key 'below_detection.substitute': unknown method '" +
                method + "' (use half_dl, dl_sqrt2_over_2 or ros)");
  kernels::CensoredScratch scratch;
  for (size_t k = 0; k < in.elements.size(); ++k) {
    std::vector<float>& v = s.values[k];
    kernels::CensoredReport rep;
    const kernels::Status st = kernels::substitute_censored(
        v.data(), censored[k].data(), static_cast<std::int64_t>(v.size()), cp, scratch, v.data(), rep);
    if (!st.ok)
      throw_input(in.path + ": input '" + in.id + "': element " + in.elements[k].element +
                  ": below-detection substitution failed: " + st.message);
    ElementCounts& c = s.counts[k];
    c.ros_used = rep.ros_used;
    c.ros_fallback = rep.ros_fallback;
    c.ros_intercept = rep.ros_intercept;
    c.ros_slope = rep.ros_slope;
  }
  return s;
}

std::vector<std::string> describe_counts(const InputSpec& in, const GeochemSamples& s) {
  std::vector<std::string> lines;
  std::ostringstream os;
  os << in.id << ": " << s.rows << " data rows, " << s.x.size() << " with coordinates, " << s.bad_coordinates
     << " skipped for missing/invalid coordinates";
  lines.push_back(os.str());
  for (const auto& c : s.counts) {
    std::ostringstream e;
    e << in.id << "." << c.element << ": " << c.measured << " measured, " << c.censored_lt
      << " censored '<DL', " << c.censored_negative << " censored negative (below detection), "
      << c.not_analysed_zero << " not analysed (0), " << c.missing << " missing";
    if (c.invalid_negative)
      e << ", " << c.invalid_negative << " negative without negative_values (treated as missing)";
    if (c.invalid_zero)
      e << ", " << c.invalid_zero << " zero without zero_means_missing (treated as missing)";
    if (c.ros_used)
      e << "; censored values by regression on order statistics: ln(x) = " << c.ros_intercept << " + "
        << c.ros_slope << " z";
    if (c.ros_fallback)
      e << "; too few measured values for regression on order statistics: censored values DL/2";
    lines.push_back(e.str());
  }
  return lines;
}

} // namespace prospector
