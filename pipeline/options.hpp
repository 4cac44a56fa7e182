#pragma once
/// \file options.hpp
/// Declarative option specs: each option is declared once, typed, with default, help, range or choices.
/// The same declarations validate job and recipe files (rejecting unknown keys, naming key and file) and
/// generate the JSON Schemas committed in schemas/.

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
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
  nlohmann::json default_value;       ///< null when there is no default
  bool required = false;
  std::optional<double> minimum;      ///< Number/Integer (inclusive)
  std::optional<double> maximum;      ///< Number/Integer (inclusive)
  bool exclusive_minimum = false;     ///< minimum is exclusive
  std::vector<std::string> choices;   ///< String: allowed values
  std::string pattern;                ///< String: ECMAScript regex the value must match
  std::shared_ptr<ObjectSpec> object; ///< Object: its fields; Array/Map of objects: the item spec
  std::shared_ptr<Field> items;       ///< Array/Map: spec of scalar items (when object is null)
  std::optional<std::size_t> min_items, max_items; ///< Array
  std::vector<std::string> key_choices; ///< Map: allowed keys
  std::vector<Field> alternatives;    ///< non-empty: value must match one of these specs (anyOf)
};

/// An object: its fields, and whether unknown keys are allowed (never, for job and recipe files).
struct ObjectSpec {
  std::string title;
  std::string description;
  std::vector<Field> fields;
};

// Builders, to keep declarations one line each.
Field str(std::string key, std::string help, nlohmann::json def = nullptr);
Field num(std::string key, std::string help, nlohmann::json def = nullptr);
Field integer(std::string key, std::string help, nlohmann::json def = nullptr);
Field boolean(std::string key, std::string help, bool def);
Field object(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec);
Field array_of(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec);
Field array_of(std::string key, std::string help, Field item);
Field map_of(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec, std::vector<std::string> keys);
Field& req(Field& f);
Field required(Field f);
Field range(Field f, std::optional<double> lo, std::optional<double> hi, bool exclusive_lo = false);
Field choices(Field f, std::vector<std::string> c);

/// Validates `value` against `spec`, returning a copy with defaults filled in. Throws prospector::Error
/// (Usage) with "FILE: key PATH: problem (what to do)" on the first unknown key, missing required key,
/// wrong type, out-of-range number or value not among the choices.
nlohmann::json validate(const nlohmann::json& value, const ObjectSpec& spec, const std::string& file,
                        const std::string& path = "");

/// JSON Schema (draft 2020-12) of `spec`.
nlohmann::json to_json_schema(const ObjectSpec& spec, const std::string& id);

/// Parses a JSON document from text; syntax errors throw Error(Usage) naming the file, line and column.
nlohmann::json parse_json(const std::string& text, const std::string& file);

} // namespace prospector::options
