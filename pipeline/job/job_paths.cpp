#include "pipeline/job/job_detail.hpp"

#include <algorithm>
#include <filesystem>

namespace prospector {

namespace fs = std::filesystem;

bool is_deliverable(const OutputOptions& output, const std::string& n) {
  return n == output.name || n == output.name + ".aux.xml" || n == "targets.gpkg" || n == "report.html" ||
         (n.rfind("wofe_", 0) == 0 && fs::path(n).extension() == ".csv");
}

std::vector<std::string> deliverables_in(const OutputOptions& output, const std::string& folder) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec))
    if (is_deliverable(output, e.path().filename().string())) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

namespace detail {

// The files a run replaces (deliverables, written to a temporary name and renamed over these) and the folder
// it rewrites (work/). An input among them would be destroyed by publish, so validation refuses the job.
void check_output_paths(const Job& job, const std::string& file,
                        const std::function<void(const std::string&)>& report) {
  // A folder of survey tiles must not hold the outputs: the exported GeoTIFFs would be read as tiles on the
  // next run, and the work folder's tiles would be listed by the pattern.
  for (size_t i = 0; i < job.inputs.size(); ++i) {
    std::error_code ec;
    const InputSpec& in = job.inputs[i];
    if (!in.paths.empty() || !fs::is_directory(in.path, ec)) continue;
    const fs::path tiles = fs::weakly_canonical(in.path, ec),
                   out = fs::weakly_canonical(job.output.folder, ec);
    auto [a, b] = std::mismatch(tiles.begin(), tiles.end(), out.begin(), out.end());
    if (a == tiles.end())
      report(file + ": key 'output.folder': " + job.output.folder + " is " +
             (b == out.end() ? "the folder" : "inside the folder") + " of survey tiles of 'inputs[" +
             std::to_string(i) + "].path' (" + in.path +
             "); outputs there would be read as tiles; give an output folder outside it");
  }

  std::error_code ec;
  const fs::path out = fs::weakly_canonical(job.output.folder, ec);
  if (ec) return;
  // Another run's work folder (<out>/work with its manifests) is rewritten and cleaned by that run.
  for (fs::path a = out; !a.empty() && a != a.root_path(); a = a.parent_path())
    if (a.filename() == "work" && fs::is_directory(a / "manifests", ec) && fs::exists(a / ".lock", ec)) {
      report(file + ": key 'output.folder': " + job.output.folder +
             " is inside the work folder of another run (" + a.string() +
             "), which that run rewrites and deletes; give an output folder outside it");
      break;
    }
  const std::vector<std::string> existing = deliverables_in(job.output, out.string());
  auto check = [&](const std::string& path, const std::string& key) {
    if (path.empty()) return;
    std::error_code e;
    const fs::path in = fs::weakly_canonical(path, e);
    if (e) return;
    std::string why;
    const fs::path rel = in.lexically_relative(out);
    const std::string name = in.filename().string();
    if (!rel.empty() && *rel.begin() == "work")
      why = "it lies in the output's work folder " + (out / "work").string() + ", which the run rewrites";
    else if (in.parent_path() == out && is_deliverable(job.output, name))
      why = "the run writes its deliverable " + (out / name).string() + " over it";
    else
      for (const auto& d : existing)
        if (fs::equivalent(d, in, e)) // a hard link, or a symlinked output
          why = "it is the same file as the deliverable " + d + ", which the run replaces";
    if (!why.empty())
      report(file + ": key '" + key + "': " + path + " would be destroyed by this run: " + why +
             "; move the input or choose another output.folder");
  };
  for (size_t i = 0; i < job.inputs.size(); ++i) {
    const InputSpec& in = job.inputs[i];
    const std::string k = "inputs[" + std::to_string(i) + "]";
    if (in.paths.empty()) check(in.path, k + ".path");
    for (size_t j = 0; j < in.paths.size(); ++j)
      check(in.paths[j], k + ".path[" + std::to_string(j) + "]");
    check(in.class_file, k + ".class_file");
  }
  check(job.training.path, "training.path");
  check(job.training.test_path, "training.test_path");
  check(job.models.study_area, "models.study_area");
  for (const auto& [c, ro] : job.recipes)
    check(ro.path, "recipes." + c + ".path");
}

} // namespace detail

} // namespace prospector
