#pragma once
/// \file options.hpp
/// Declarative option specs: each option is declared once, typed, with default, help, range or choices.
/// The same declarations validate job and recipe files (rejecting unknown keys, naming key and file) and
/// generate the JSON Schemas committed in schemas/.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace prospector::options {

/// Value types an option can take.
enum class Type { String, Number, Integer, Boolean, Object, Array, Map };

struct ObjectSpec;

/// One declared option.
struct Field {
  std::string key;
  Type type = Type::String;
  std::string help;
  nlohmann::json default_value; ///< null when there is no default
  bool required = false;
  std::optional<double> minimum;         ///< Number/Integer (inclusive)
  std::optional<double> maximum;         ///< Number/Integer (inclusive)
  bool exclusive_minimum = false;        ///< minimum is exclusive
  std::vector<std::string> choices;      ///< String: allowed values
  std::string pattern;                   ///< String: ECMAScript regex the value must match
  std::optional<std::size_t> max_length; ///< String: most characters (Unicode code points), schema maxLength
  std::shared_ptr<ObjectSpec> object;    ///< Object: its fields; Array/Map of objects: the item spec
  std::shared_ptr<Field> items;          ///< Array/Map: spec of scalar items (when object is null)
  std::optional<std::size_t> min_items, max_items; ///< Array
  std::vector<std::string> key_choices;            ///< Map: allowed keys
  std::vector<Field> alternatives;                 ///< non-empty: value must match one of these specs (anyOf)
};

/// A rule between fields of one object: when `key` equals `value`, the keys in `requires` must be present;
/// otherwise the keys in `forbids_otherwise` must be absent. Written into the schema as if/then/else.
struct Conditional {
  std::string key;
  std::string value;
  std::vector<std::string> requires_keys;
  std::vector<std::string> forbids_otherwise;
};

/// An object: its fields, and whether unknown keys are allowed (never, for job and recipe files).
struct ObjectSpec {
  std::string title;
  std::string description;
  std::vector<Field> fields;
  std::vector<Conditional> conditionals;
};

// Builders, to keep declarations one line each.
Field str(std::string key, std::string help, nlohmann::json def = nullptr);
Field num(std::string key, std::string help, nlohmann::json def = nullptr);
Field integer(std::string key, std::string help, nlohmann::json def = nullptr);
Field boolean(std::string key, std::string help, bool def);
Field object(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec);
Field array_of(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec);
Field array_of(std::string key, std::string help, Field item);
Field map_of(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec,
             std::vector<std::string> keys);
Field& req(Field& f);
Field required(Field f);
Field range(Field f, std::optional<double> lo, std::optional<double> hi, bool exclusive_lo = false);
Field choices(Field f, std::vector<std::string> c);
Field max_length(Field f, std::size_t n);

/// Most problems one validation pass reports (the rest are summarised in one line).
inline constexpr std::size_t kMaxReportedErrors = 20;

/// Validates `value` against `spec`, returning a copy with defaults filled in, also inside objects that are
/// absent and have no required key (so an absent "anomaly" object gets every declared default). Finds every
/// unknown key, missing required key, wrong type, out-of-range number and value not among the choices in one
/// pass, and throws prospector::Error (Usage) holding one line "FILE: key PATH: problem (what to do)" per
/// problem (at most kMaxReportedErrors).
nlohmann::json validate(const nlohmann::json& value, const ObjectSpec& spec, const std::string& file,
                        const std::string& path = "");

/// Throws Error(Usage) with one line per problem in `errors` (nothing when it is empty); `truncated` adds a
/// line saying that more problems of `file` were not listed.
void throw_if_any(const std::vector<std::string>& errors, bool truncated, const std::string& file);

/// JSON Schema (draft 2020-12) of `spec`.
nlohmann::json to_json_schema(const ObjectSpec& spec, const std::string& id);

/// Most bytes a job or recipe file may have; larger files are refused before they are read.
inline constexpr std::size_t kMaxJsonBytes = std::size_t{16} << 20;
/// Deepest nesting of arrays and objects in a job or recipe file (a job file needs about six levels).
inline constexpr int kMaxJsonDepth = 64;
/// Most characters of free-text options that end up in HDF5 attributes (job name, units, recipe name).
inline constexpr std::size_t kMaxTextLength = 4096;

/// Parses a JSON document from text. Before the document is built, a streaming pass refuses text longer
/// than kMaxJsonBytes, arrays and objects nested deeper than kMaxJsonDepth and a key given twice in one
/// object (naming the key and both lines). These and syntax errors throw Error(Usage) naming the file and
/// line.
nlohmann::json parse_json(const std::string& text, const std::string& file);

/// Reads a job or recipe file (`what`: "job file", "recipe file") for parse_json. Refuses, before reading,
/// anything that is not a regular file (a FIFO would block, a device never ends) and files larger than
/// kMaxJsonBytes; Error(Usage) starting with `context` (the file name, or the key naming it).
std::string read_json_file(const std::string& path, const std::string& what, const std::string& context);

/// Declared field of a Decl, for chaining constraints after the declaration.
class FieldRef {
public:
  FieldRef(std::shared_ptr<ObjectSpec> spec, std::size_t index) : spec_(std::move(spec)), index_(index) {}
  FieldRef& required();
  FieldRef& range(std::optional<double> lo, std::optional<double> hi, bool exclusive_lo = false);
  FieldRef& choices(std::vector<std::string> c);
  FieldRef& pattern(std::string regex);
  /// Longest allowed string, in characters (Unicode code points, as JSON Schema's maxLength counts them).
  FieldRef& max_length(std::size_t n);
  FieldRef& items(std::optional<std::size_t> min, std::optional<std::size_t> max);
  /// Range or choices of the items of an array of scalars.
  FieldRef& item_range(std::optional<double> lo, std::optional<double> hi);
  FieldRef& item_choices(std::vector<std::string> c);
  FieldRef& no_default();
  FieldRef& default_value(nlohmann::json v);
  Field& field() { return spec_->fields[index_]; }

private:
  std::shared_ptr<ObjectSpec> spec_;
  std::size_t index_;
};

namespace detail {
template <class M> struct Scalar : std::false_type {};
template <> struct Scalar<std::string> : std::true_type { static constexpr Type type = Type::String; };
template <> struct Scalar<double> : std::true_type { static constexpr Type type = Type::Number; };
template <> struct Scalar<int> : std::true_type { static constexpr Type type = Type::Integer; };
template <> struct Scalar<std::int64_t> : std::true_type { static constexpr Type type = Type::Integer; };
template <> struct Scalar<bool> : std::true_type { static constexpr Type type = Type::Boolean; };
} // namespace detail

/// Declaration of an option object bound to the members of struct T: each option is declared once, with
/// its key, help, type (from the member), default (the member's value in a default-constructed T) and
/// constraints. The same declaration validates files, fills T, writes T back as JSON (for unit keys) and
/// generates the JSON Schema.
template <class T> class Decl {
public:
  explicit Decl(std::string title, std::string description = "") : spec_(std::make_shared<ObjectSpec>()) {
    spec_->title = std::move(title);
    spec_->description = std::move(description);
  }

  /// A scalar, optional scalar or array-of-scalars member.
  template <class M> FieldRef add(M T::*m, std::string key, std::string help) {
    Field f;
    f.key = key;
    f.help = std::move(help);
    const T def{};
    if constexpr (detail::Scalar<M>::value) {
      f.type = detail::Scalar<M>::type;
      if constexpr (std::is_same_v<M, std::string>) {
        if (!(def.*m).empty()) f.default_value = def.*m;
      } else {
        f.default_value = def.*m;
      }
      bind(
          std::move(f), [m, key](const nlohmann::json& j, T& t) { t.*m = j.get<M>(); },
          [m, key](const T& t, nlohmann::json& j) { j[key] = t.*m; });
    } else if constexpr (is_optional<M>::value) {
      using V = typename M::value_type;
      f.type = detail::Scalar<V>::type;
      bind(
          std::move(f), [m](const nlohmann::json& j, T& t) { t.*m = j.get<V>(); },
          [m, key](const T& t, nlohmann::json& j) {
            if (t.*m) j[key] = *(t.*m);
          });
    } else {
      using V = typename M::value_type;
      static_assert(detail::Scalar<V>::value, "Decl::add: use the overload taking a sub-declaration");
      f.type = Type::Array;
      Field item;
      item.type = detail::Scalar<V>::type;
      f.items = std::make_shared<Field>(item);
      if (!(def.*m).empty()) f.default_value = def.*m;
      bind(
          std::move(f), [m](const nlohmann::json& j, T& t) { t.*m = j.get<M>(); },
          [m, key](const T& t, nlohmann::json& j) { j[key] = t.*m; });
    }
    return FieldRef(spec_, spec_->fields.size() - 1);
  }

  /// A nested object member.
  template <class M> FieldRef add(M T::*m, std::string key, std::string help, const Decl<M>& sub) {
    Field f;
    f.key = key;
    f.help = std::move(help);
    f.type = Type::Object;
    f.object = sub.spec_;
    bind(
        std::move(f), [m, sub](const nlohmann::json& j, T& t) { sub.load(j, t.*m); },
        [m, key, sub](const T& t, nlohmann::json& j) { j[key] = sub.dump(t.*m); });
    return FieldRef(spec_, spec_->fields.size() - 1);
  }

  /// An array-of-objects member.
  template <class M>
  FieldRef add(std::vector<M> T::*m, std::string key, std::string help, const Decl<M>& sub) {
    Field f;
    f.key = key;
    f.help = std::move(help);
    f.type = Type::Array;
    f.object = sub.spec_;
    bind(
        std::move(f),
        [m, sub](const nlohmann::json& j, T& t) {
          (t.*m).clear();
          for (const auto& x : j) {
            M v{};
            sub.load(x, v);
            (t.*m).push_back(std::move(v));
          }
        },
        [m, key, sub](const T& t, nlohmann::json& j) {
          nlohmann::json a = nlohmann::json::array();
          for (const auto& v : t.*m)
            a.push_back(sub.dump(v));
          j[key] = a;
        });
    return FieldRef(spec_, spec_->fields.size() - 1);
  }

  /// A map of objects keyed by name (keys limited to `keys` when not empty).
  template <class M>
  FieldRef add(std::map<std::string, M> T::*m, std::string key, std::string help, const Decl<M>& sub,
               std::vector<std::string> keys) {
    Field f;
    f.key = key;
    f.help = std::move(help);
    f.type = Type::Map;
    f.object = sub.spec_;
    f.key_choices = std::move(keys);
    bind(
        std::move(f),
        [m, sub](const nlohmann::json& j, T& t) {
          (t.*m).clear();
          for (auto it = j.begin(); it != j.end(); ++it)
            sub.load(*it, (t.*m)[it.key()]);
        },
        [m, key, sub](const T& t, nlohmann::json& j) {
          nlohmann::json o = nlohmann::json::object();
          for (const auto& [k, v] : t.*m)
            o[k] = sub.dump(v);
          j[key] = o;
        });
    return FieldRef(spec_, spec_->fields.size() - 1);
  }

  /// A field whose JSON form differs from its member(s): the caller loads and dumps it.
  FieldRef custom(Field f, std::function<void(const nlohmann::json&, T&)> load,
                  std::function<void(const T&, nlohmann::json&)> dump) {
    bind(std::move(f), std::move(load), std::move(dump));
    return FieldRef(spec_, spec_->fields.size() - 1);
  }

  /// When `key` equals `value`, `requires_keys` must be given; otherwise `forbids_otherwise` must not be.
  void when(std::string key, std::string value, std::vector<std::string> requires_keys,
            std::vector<std::string> forbids_otherwise) {
    spec_->conditionals.push_back(
        {std::move(key), std::move(value), std::move(requires_keys), std::move(forbids_otherwise)});
  }

  /// Fills `out` from a validated object (see validate()); absent keys leave the member as it is.
  void load(const nlohmann::json& v, T& out) const {
    for (std::size_t i = 0; i < spec_->fields.size(); ++i) {
      auto it = v.find(spec_->fields[i].key);
      if (it != v.end() && !it->is_null()) loaders_[i](*it, out);
    }
  }
  /// `v` as JSON with every declared key (for content keys and provenance).
  nlohmann::json dump(const T& v) const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& d : dumpers_)
      d(v, j);
    return j;
  }
  const ObjectSpec& spec() const { return *spec_; }
  std::shared_ptr<ObjectSpec> shared_spec() const { return spec_; }

private:
  template <class> friend class Decl;
  template <class X> struct is_optional : std::false_type {};
  template <class X> struct is_optional<std::optional<X>> : std::true_type {};

  void bind(Field f, std::function<void(const nlohmann::json&, T&)> load,
            std::function<void(const T&, nlohmann::json&)> dump) {
    spec_->fields.push_back(std::move(f));
    loaders_.push_back(std::move(load));
    dumpers_.push_back(std::move(dump));
  }

  std::shared_ptr<ObjectSpec> spec_;
  std::vector<std::function<void(const nlohmann::json&, T&)>> loaders_;
  std::vector<std::function<void(const T&, nlohmann::json&)>> dumpers_;
};

/// Finds the declaration of a dotted key ("anomaly.local_radius") in `spec`; nullptr when there is none.
const Field* find_field(const ObjectSpec& spec, const std::string& dotted_key);

} // namespace prospector::options
