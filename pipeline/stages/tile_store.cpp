#include "pipeline/stages/tile_store.hpp"

#include "pipeline/base/errors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace prospector::stages {

using nlohmann::json;

void put_tile(const std::string& path, const std::vector<float>& v, Hash64& h) {
  write_tile(path, v);
  h.add(path.substr(path.rfind("/layers/"))).add(v.data(), v.size() * sizeof(float));
}

MappedFloats::MappedFloats(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw_runtime("cannot open " + path + " (rerun the stage that writes it)");
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    ::close(fd_);
    throw_runtime("cannot stat " + path);
  }
  n_ = static_cast<std::int64_t>(st.st_size) / static_cast<std::int64_t>(sizeof(float));
  if (n_ > 0) {
    void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd_, 0);
    if (m == MAP_FAILED) {
      ::close(fd_);
      throw_runtime("cannot map " + path);
    }
    data_ = static_cast<const float*>(m);
  }
}

MappedFloats::~MappedFloats() {
  if (data_) ::munmap(const_cast<float*>(data_), static_cast<size_t>(n_) * sizeof(float));
  if (fd_ >= 0) ::close(fd_);
}

LayerBlocks::LayerBlocks(const Plan& p, const std::string& layer) {
  for (std::int64_t t = 0; t < p.tiles.count(); ++t) {
    maps_.push_back(std::make_unique<MappedFloats>(p.work.layer_tile(layer, t)));
    data_.push_back(maps_.back()->data());
    size_.push_back(maps_.back()->size());
  }
}

void read_window(const Plan& p, const std::string& layer, const Window& w, std::vector<float>& out) {
  out.assign(static_cast<size_t>(w.size()), NAN);
  for (std::int64_t t : p.tiles.tiles_in(w)) {
    const Window tw = p.tiles.window(t);
    const std::int64_t r0 = std::max(w.row0, tw.row0), r1 = std::min(w.row0 + w.rows, tw.row0 + tw.rows);
    const std::int64_t c0 = std::max(w.col0, tw.col0), c1 = std::min(w.col0 + w.cols, tw.col0 + tw.cols);
    if (r1 <= r0 || c1 <= c0) continue;
    read_tile_block(p.work.layer_tile(layer, t), tw.cols, r0 - tw.row0, r1 - r0, c0 - tw.col0, c1 - c0,
                    out.data() + (r0 - w.row0) * w.cols + (c0 - w.col0), w.cols);
  }
}

FileDigests& file_digests(StageContext& ctx) {
  return ctx.state<FileDigests>("file_digests", [&] {
    return std::make_unique<FileDigests>(ctx.plan.work.global("file_digests.json"));
  });
}

json load_json(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception&) {
    throw_runtime(path + " is corrupt; rerun with --force");
  }
}

std::string input_where(const Plan& p, const LayerDef& l) {
  if (l.input < 0) return "derived layer " + l.name;
  const auto& in = p.job.inputs[static_cast<size_t>(l.input)];
  return "input '" + in.id + "' (" + in.path + ")";
}

kernels::ExactWindowParams window_params(double median, double min, double max, std::int64_t radius) {
  kernels::ExactWindowParams wp;
  wp.radius = radius;
  wp.shift = median;
  wp.scale = kernels::fixed_point_scale(std::max(std::fabs(min - median), std::fabs(max - median)));
  return wp;
}

} // namespace prospector::stages
