#include "pipeline/base/file_digest.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/sha256.hpp"
#include "pipeline/base/tiles.hpp"

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <exception>

namespace prospector {

namespace {

// Empty when the file cannot be stat()ed: the digest is then computed (and fails with its own message).
std::string stat_key(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) +
         ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
}

} // namespace

FileDigests::FileDigests(std::string cache_file) : cache_file_(std::move(cache_file)) {
  if (cache_file_.empty() || !file_exists(cache_file_)) return;
  // A damaged cache only costs the reading again.
  const nlohmann::json j = nlohmann::json::parse(read_file(cache_file_), nullptr, false);
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it->is_array() && it->size() == 2 && (*it)[0].is_string() && (*it)[1].is_string())
      entries_[it.key()] = {(*it)[0].get<std::string>(), (*it)[1].get<std::string>()};
}

std::string FileDigests::sha256(const std::string& path) { return sha256_all({path}).front(); }

std::vector<std::string> FileDigests::sha256_all(const std::vector<std::string>& paths) {
  std::vector<std::string> out(paths.size()), keys(paths.size());
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    keys[i] = stat_key(paths[i]);
    const auto it = entries_.find(paths[i]);
    if (!keys[i].empty() && it != entries_.end() && it->second.stat_key == keys[i])
      out[i] = it->second.digest;
    else
      todo.push_back(i);
  }
  if (todo.empty()) return out;
  std::vector<std::exception_ptr> errors(todo.size());
  const auto n = static_cast<std::int64_t>(todo.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t k = 0; k < n; ++k) {
    const std::size_t i = todo[static_cast<std::size_t>(k)];
    try {
      out[i] = sha256_file(paths[i]);
    } catch (...) {
      errors[static_cast<std::size_t>(k)] = std::current_exception();
    }
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  files_read_ += n;
  bool changed = false;
  for (const std::size_t i : todo) {
    // A file changed while it was read keeps no entry, so the next run reads it again.
    if (keys[i].empty() || stat_key(paths[i]) != keys[i]) continue;
    entries_[paths[i]] = {keys[i], out[i]};
    changed = true;
  }
  if (changed) save();
  return out;
}

void FileDigests::save() {
  if (cache_file_.empty()) return;
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [path, e] : entries_)
    j[path] = {e.stat_key, e.digest};
  try {
    const std::string text = j.dump(); // throws on a path that is not UTF-8
    write_file_atomic(cache_file_, text.data(), text.size(), false);
  } catch (const std::exception&) {
    // Only a cache: a read-only work folder means reading the files again next run.
  }
}

} // namespace prospector
