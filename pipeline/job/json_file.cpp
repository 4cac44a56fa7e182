#include "pipeline/job/options.hpp"

#include "pipeline/base/errors.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

// Reading job and recipe files: the limits checked before any document is built (size, nesting depth,
// duplicate keys), then nlohmann's parse with line and column in its errors.
namespace prospector::options {

using nlohmann::json;

namespace {

// A forward iterator over the text that records how far the parser has read, so that SAX events can be
// given a line number.
class TrackingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* p, const char* begin, std::size_t* offset)
      : p_(p), begin_(begin), offset_(offset) {}
  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    ++p_;
    *offset_ = static_cast<std::size_t>(p_ - begin_);
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const TrackingIterator& o) const { return p_ != o.p_; }

private:
  const char* p_;
  const char* begin_;
  std::size_t* offset_;
};

// The streaming pass of parse_json: nesting depth and duplicate keys, before any DOM is built. It holds one
// frame per open array or object, at most kMaxJsonDepth of them. Syntax errors end the pass quietly; the DOM
// parse that follows reports them.
class LimitsPass : public nlohmann::json_sax<json> {
public:
  LimitsPass(const std::string& text, const std::string& file, const std::size_t* offset)
      : text_(text), file_(file), offset_(offset) {}

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return open(true); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    Frame& f = frames_.back();
    f.key = k;
    const std::size_t line = line_here();
    const auto [it, inserted] = f.lines.emplace(k, line);
    if (!inserted)
      throw_usage(file_ + ": key '" + path() + "' is given twice in one object, on lines " +
                  std::to_string(it->second) + " and " + std::to_string(line) +
                  " (a JSON object takes each key once; remove one of them)");
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

private:
  struct Frame {
    bool object = false;
    std::string key;                          ///< object: the key being read
    long index = -1;                          ///< array: index of the value being read
    std::map<std::string, std::size_t> lines; ///< object: line of each key
  };

  bool value() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }
  bool open(bool object) {
    value();
    if (frames_.size() >= static_cast<std::size_t>(kMaxJsonDepth))
      throw_usage(file_ + ": line " + std::to_string(line_here()) +
                  ": arrays and objects nested deeper than " + std::to_string(kMaxJsonDepth) +
                  " levels (a job file needs a handful; check the brackets)");
    frames_.push_back(Frame{object, "", -1, {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }
  std::size_t line_here() const {
    // Newlines are counted incrementally: the parser only moves forward.
    const std::size_t end = std::min(*offset_, text_.size());
    for (; counted_ < end; ++counted_)
      if (text_[counted_] == '\n') ++line_;
    return line_;
  }
  std::string path() const {
    std::string p;
    for (const auto& f : frames_) {
      if (f.object)
        p += (p.empty() ? "" : ".") + f.key;
      else
        p += "[" + std::to_string(f.index) + "]";
    }
    return p;
  }

  const std::string& text_;
  const std::string& file_;
  const std::size_t* offset_;
  std::vector<Frame> frames_;
  mutable std::size_t counted_ = 0, line_ = 1;
};

std::string mib(std::uintmax_t bytes) {
  std::ostringstream os;
  os.precision(3);
  os << static_cast<double>(bytes) / 1048576.0 << " MiB";
  return os.str();
}

} // namespace

json parse_json(const std::string& text, const std::string& file) {
  if (text.size() > kMaxJsonBytes)
    throw_usage(file + ": is " + mib(text.size()) + ", more than the " + mib(kMaxJsonBytes) +
                " a job or recipe file may have");
  {
    std::size_t offset = 0;
    LimitsPass pass(text, file, &offset);
    const char* b = text.data();
    (void)json::sax_parse(TrackingIterator(b, b, &offset), TrackingIterator(b + text.size(), b, &offset),
                          &pass);
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // Byte offset -> line/column, so the user can find the typo.
    size_t line = 1, col = 1;
    for (size_t i = 0; i < text.size() && i + 1 < e.byte; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw_usage(file + ": line " + std::to_string(line) + ", column " + std::to_string(col) +
                ": not valid JSON (" + std::string(e.what()) + ")");
  } catch (const json::exception& e) {
    // e.g. a number that overflows a double
    throw_usage(file + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

std::string read_json_file(const std::string& path, const std::string& what, const std::string& context) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw_usage(context + ": cannot read the " + what + ": " + std::strerror(errno) +
                " (does it exist and is it readable?)");
  if (!S_ISREG(st.st_mode))
    throw_usage(context + ": the " + what + " " + path +
                " is not a regular file (a FIFO, device, socket or folder); give a JSON file");
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxJsonBytes)
    throw_usage(context + ": the " + what + " is " + mib(static_cast<std::uintmax_t>(st.st_size)) +
                ", more than the " + mib(kMaxJsonBytes) + " a job or recipe file may have");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_usage(context + ": cannot read the " + what + " (does it exist and is it readable?)");
  // The size from stat, and on up to the limit should the file have grown since.
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  char extra[4096];
  while (in.read(extra, sizeof extra) || in.gcount() > 0) {
    text.append(extra, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxJsonBytes)
      throw_usage(context + ": the " + what + " is more than the " + mib(kMaxJsonBytes) +
                  " a job or recipe file may have");
  }
  return text;
}

} // namespace prospector::options
