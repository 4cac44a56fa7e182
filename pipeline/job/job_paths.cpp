#include "pipeline/job/job_detail.hpp"

#include <algorithm>
#include <filesystem>

namespace prospector::detail {

namespace fs = std::filesystem;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

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
      report(file + ": key 'output.folder': " + job.output.folder + " is inside the work folder of another run (" +
             a.string() + "), which that run rewrites and deletes; give an output folder outside it");
      break;
    }
  const std::vector<std::string> deliverables = {job.output.name, "targets.gpkg", "report.html"};
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
    else if (in.parent_path() == out &&
             (contains(deliverables, name) || (name.rfind("wofe_", 0) == 0 && in.extension() == ".csv")))
      why = "the run writes its deliverable " + (out / name).string() + " over it";
    else
      for (const auto& d : deliverables)
        if (fs::exists(out / d, e) && fs::equivalent(out / d, in, e)) // a hard link, or a symlinked output
          why = "it is the same file as the deliverable " + (out / d).string() + ", which the run replaces";
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

} // namespace prospector::detail
