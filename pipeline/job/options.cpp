#include "pipeline/job/options.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <sstream>

namespace prospector::options {

using nlohmann::json;

Field str(std::string key, std::string help, json def) {
  Field f;
  f.key = std::move(key);
  f.type = Type::String;
  f.help = std::move(help);
  f.default_value = std::move(def);
  return f;
}
Field num(std::string key, std::string help, json def) {
  Field f = str(std::move(key), std::move(help), std::move(def));
  f.type = Type::Number;
  return f;
}
Field integer(std::string key, std::string help, json def) {
  Field f = str(std::move(key), std::move(help), std::move(def));
  f.type = Type::Integer;
  return f;
}
Field boolean(std::string key, std::string help, bool def) {
  Field f = str(std::move(key), std::move(help), def);
  f.type = Type::Boolean;
  return f;
}
Field object(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec) {
  Field f = str(std::move(key), std::move(help));
  f.type = Type::Object;
  f.object = std::move(spec);
  return f;
}
Field array_of(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec) {
  Field f = str(std::move(key), std::move(help));
  f.type = Type::Array;
  f.object = std::move(spec);
  return f;
}
Field array_of(std::string key, std::string help, Field item) {
  Field f = str(std::move(key), std::move(help));
  f.type = Type::Array;
  f.items = std::make_shared<Field>(std::move(item));
  return f;
}
Field map_of(std::string key, std::string help, std::shared_ptr<ObjectSpec> spec,
             std::vector<std::string> keys) {
  Field f = str(std::move(key), std::move(help));
  f.type = Type::Map;
  f.object = std::move(spec);
  f.key_choices = std::move(keys);
  return f;
}
Field required(Field f) {
  f.required = true;
  return f;
}
Field range(Field f, std::optional<double> lo, std::optional<double> hi, bool exclusive_lo) {
  f.minimum = lo;
  f.maximum = hi;
  f.exclusive_minimum = exclusive_lo;
  return f;
}
Field choices(Field f, std::vector<std::string> c) {
  f.choices = std::move(c);
  return f;
}
Field max_length(Field f, std::size_t n) {
  f.max_length = n;
  return f;
}

namespace {

const char* type_name(Type t) {
  switch (t) {
  case Type::String:
    return "a string";
  case Type::Number:
    return "a number";
  case Type::Integer:
    return "an integer";
  case Type::Boolean:
    return "true or false";
  case Type::Object:
    return "an object";
  case Type::Array:
    return "an array";
  case Type::Map:
    return "an object";
  }
  return "?";
}

// The problems found in one pass over a document, each "FILE: key PATH: problem", up to kMaxReportedErrors.
struct Errors {
  std::vector<std::string> lines;
  bool truncated = false;
  void add(const std::string& line) {
    if (lines.size() < kMaxReportedErrors)
      lines.push_back(line);
    else
      truncated = true;
  }
};

void fail(Errors& errs, const std::string& file, const std::string& path, const std::string& msg) {
  errs.add(file + ": key '" + (path.empty() ? "<top level>" : path) + "': " + msg);
}

json validate_field(const json& v, const Field& f, const std::string& file, const std::string& path,
                    Errors& errs);

bool has_required(const ObjectSpec& spec) {
  for (const auto& f : spec.fields)
    if (f.required) return true;
  return false;
}

// Every check records its problem and goes on with the next key, so that one pass reports them all; the
// returned document is only used when no problem was found.
json validate_object(const json& value, const ObjectSpec& spec, const std::string& file,
                     const std::string& path, Errors& errs) {
  if (!value.is_object()) {
    fail(errs, file, path, "expected an object, got " + std::string(value.type_name()));
    return json::object();
  }
  std::vector<std::string> known;
  for (const auto& f : spec.fields)
    known.push_back(f.key);
  for (auto it = value.begin(); it != value.end(); ++it) {
    bool ok = false;
    for (const auto& k : known)
      ok = ok || k == it.key();
    if (!ok) {
      const std::string p = path.empty() ? it.key() : path + "." + it.key();
      errs.add(file + ": unknown key '" + p + "' (allowed here: " + join(known) +
               "; see `prospector schema job`)");
    }
  }
  json out = json::object();
  for (const auto& f : spec.fields) {
    const std::string p = path.empty() ? f.key : path + "." + f.key;
    auto it = value.find(f.key);
    if (it == value.end() || it->is_null()) {
      if (f.required) fail(errs, file, p, "is required (" + f.help + ")");
      if (!f.default_value.is_null())
        out[f.key] = f.default_value;
      else if (f.type == Type::Object && f.alternatives.empty() && !has_required(*f.object))
        out[f.key] = validate_object(json::object(), *f.object, file, p, errs);
      continue;
    }
    out[f.key] = validate_field(*it, f, file, p, errs);
  }
  for (const auto& c : spec.conditionals) {
    const bool match = value.contains(c.key) && value[c.key].is_string() && value[c.key] == c.value;
    for (const auto& k : match ? c.requires_keys : c.forbids_otherwise) {
      const std::string p = path.empty() ? k : path + "." + k;
      const bool present = value.contains(k) && !value[k].is_null();
      if (match && !present) fail(errs, file, p, "required for " + c.key + " " + c.value);
      if (!match && present) fail(errs, file, p, "only allowed for " + c.key + " " + c.value);
    }
  }
  return out;
}

json validate_field(const json& v, const Field& f, const std::string& file, const std::string& path,
                    Errors& errs) {
  if (!f.alternatives.empty()) {
    std::string problems;
    for (const auto& alt : f.alternatives) {
      Errors sub;
      json out = validate_field(v, alt, file, path, sub);
      if (sub.lines.empty()) return out;
      for (const auto& l : sub.lines)
        problems += (problems.empty() ? "" : "; or ") + l;
    }
    fail(errs, file, path, "matches none of the allowed forms: " + problems);
    return v;
  }
  switch (f.type) {
  case Type::String: {
    if (!v.is_string()) {
      fail(errs, file, path, std::string("expected ") + type_name(f.type) + ", got " + v.dump());
      return v;
    }
    const std::string s = v.get<std::string>();
    if (!f.choices.empty()) {
      bool ok = false;
      for (const auto& c : f.choices)
        ok = ok || c == s;
      if (!ok) fail(errs, file, path, "'" + s + "' is not one of: " + join(f.choices));
    }
    if (f.max_length) {
      // Code points, as JSON Schema's maxLength counts them: every byte but UTF-8 continuation bytes.
      const auto chars = static_cast<std::size_t>(std::count_if(
          s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
      if (chars > *f.max_length) {
        fail(errs, file, path,
             "is " + std::to_string(chars) + " characters long, more than the " +
                 std::to_string(*f.max_length) + " allowed (shorten it)");
        return v;
      }
    }
    if (!f.pattern.empty() && !std::regex_match(s, std::regex(f.pattern)))
      fail(errs, file, path, "'" + s + "' does not match the pattern " + f.pattern + " (" + f.help + ")");
    return v;
  }
  case Type::Number:
  case Type::Integer: {
    const bool ok_type = f.type == Type::Integer ? v.is_number_integer() : v.is_number();
    if (!ok_type) {
      fail(errs, file, path, std::string("expected ") + type_name(f.type) + ", got " + v.dump());
      return v;
    }
    const double d = v.get<double>();
    if (!std::isfinite(d))
      fail(errs, file, path, "must be finite");
    else if (f.minimum && (f.exclusive_minimum ? d <= *f.minimum : d < *f.minimum))
      fail(errs, file, path,
           v.dump() + " is below the minimum " + (f.exclusive_minimum ? "(exclusive) " : "") +
               format_number(*f.minimum));
    else if (f.maximum && d > *f.maximum)
      fail(errs, file, path, v.dump() + " is above the maximum " + format_number(*f.maximum));
    return v;
  }
  case Type::Boolean:
    if (!v.is_boolean()) fail(errs, file, path, std::string("expected true or false, got ") + v.dump());
    return v;
  case Type::Object:
    return validate_object(v, *f.object, file, path, errs);
  case Type::Array: {
    if (!v.is_array()) {
      fail(errs, file, path, std::string("expected an array, got ") + v.dump());
      return json::array();
    }
    if (f.min_items && v.size() < *f.min_items)
      fail(errs, file, path, "needs at least " + std::to_string(*f.min_items) + " item(s)");
    if (f.max_items && v.size() > *f.max_items)
      fail(errs, file, path, "takes at most " + std::to_string(*f.max_items) + " item(s)");
    json out = json::array();
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      out.push_back(f.object ? validate_object(v[i], *f.object, file, p, errs)
                             : validate_field(v[i], *f.items, file, p, errs));
    }
    return out;
  }
  case Type::Map: {
    if (!v.is_object()) {
      fail(errs, file, path, std::string("expected an object, got ") + v.dump());
      return json::object();
    }
    json out = json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string p = path + "." + it.key();
      if (!f.key_choices.empty()) {
        bool ok = false;
        for (const auto& c : f.key_choices)
          ok = ok || c == it.key();
        if (!ok) {
          errs.add(file + ": unknown key '" + p + "' (allowed here: " + join(f.key_choices) + ")");
          continue;
        }
      }
      out[it.key()] = f.object ? validate_object(*it, *f.object, file, p, errs)
                               : validate_field(*it, *f.items, file, p, errs);
    }
    return out;
  }
  }
  return v;
}

json field_schema(const Field& f);

json object_schema(const ObjectSpec& spec) {
  json s = {{"type", "object"}, {"additionalProperties", false}};
  if (!spec.title.empty()) s["title"] = spec.title;
  if (!spec.description.empty()) s["description"] = spec.description;
  json props = json::object();
  json req = json::array();
  for (const auto& f : spec.fields) {
    props[f.key] = field_schema(f);
    if (f.required) req.push_back(f.key);
  }
  s["properties"] = props;
  if (!req.empty()) s["required"] = req;
  if (!spec.conditionals.empty()) {
    json all = json::array();
    for (const auto& c : spec.conditionals) {
      json rule = {{"if", {{"properties", {{c.key, {{"const", c.value}}}}}, {"required", {c.key}}}},
                   {"then", {{"required", c.requires_keys}}}};
      if (!c.forbids_otherwise.empty()) {
        json none = json::array();
        for (const auto& k : c.forbids_otherwise)
          none.push_back({{"required", {k}}});
        rule["else"] = {{"not", {{"anyOf", none}}}};
      }
      all.push_back(rule);
    }
    s["allOf"] = all;
  }
  return s;
}

json field_schema(const Field& f) {
  json s;
  if (!f.alternatives.empty()) {
    json any = json::array();
    for (const auto& a : f.alternatives)
      any.push_back(field_schema(a));
    s["anyOf"] = any;
  } else {
    switch (f.type) {
    case Type::String:
      s["type"] = "string";
      if (!f.choices.empty()) s["enum"] = f.choices;
      if (!f.pattern.empty()) s["pattern"] = f.pattern;
      if (f.max_length) s["maxLength"] = *f.max_length;
      break;
    case Type::Number:
    case Type::Integer:
      s["type"] = f.type == Type::Number ? "number" : "integer";
      if (f.minimum) s[f.exclusive_minimum ? "exclusiveMinimum" : "minimum"] = *f.minimum;
      if (f.maximum) s["maximum"] = *f.maximum;
      break;
    case Type::Boolean:
      s["type"] = "boolean";
      break;
    case Type::Object:
      s = object_schema(*f.object);
      break;
    case Type::Array:
      s["type"] = "array";
      s["items"] = f.object ? object_schema(*f.object) : field_schema(*f.items);
      if (f.min_items) s["minItems"] = *f.min_items;
      if (f.max_items) s["maxItems"] = *f.max_items;
      break;
    case Type::Map:
      s["type"] = "object";
      s["additionalProperties"] = f.object ? object_schema(*f.object) : field_schema(*f.items);
      if (!f.key_choices.empty()) s["propertyNames"] = {{"enum", f.key_choices}};
      break;
    }
  }
  if (!f.help.empty()) s["description"] = f.help;
  if (!f.default_value.is_null()) s["default"] = f.default_value;
  return s;
}

} // namespace

json validate(const json& value, const ObjectSpec& spec, const std::string& file, const std::string& path) {
  Errors errs;
  json out = validate_object(value, spec, file, path, errs);
  throw_if_any(errs.lines, errs.truncated, file);
  return out;
}

void throw_if_any(const std::vector<std::string>& errors, bool truncated, const std::string& file) {
  if (errors.empty()) return;
  std::string msg;
  for (const auto& e : errors)
    msg += (msg.empty() ? "" : "\n") + e;
  if (truncated)
    msg += "\n" + file + ": more problems not listed (only the first " + std::to_string(kMaxReportedErrors) +
           " are; fix these and validate again)";
  throw_usage(msg);
}

json to_json_schema(const ObjectSpec& spec, const std::string& id) {
  json s = object_schema(spec);
  json out = {{"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"$id", id}};
  out.update(s);
  return out;
}

FieldRef& FieldRef::required() {
  field().required = true;
  field().default_value = nullptr;
  return *this;
}
FieldRef& FieldRef::range(std::optional<double> lo, std::optional<double> hi, bool exclusive_lo) {
  field().minimum = lo;
  field().maximum = hi;
  field().exclusive_minimum = exclusive_lo;
  return *this;
}
FieldRef& FieldRef::choices(std::vector<std::string> c) {
  field().choices = std::move(c);
  return *this;
}
FieldRef& FieldRef::pattern(std::string regex) {
  field().pattern = std::move(regex);
  return *this;
}
FieldRef& FieldRef::max_length(std::size_t n) {
  field().max_length = n;
  return *this;
}
FieldRef& FieldRef::items(std::optional<std::size_t> min, std::optional<std::size_t> max) {
  field().min_items = min;
  field().max_items = max;
  return *this;
}
FieldRef& FieldRef::item_range(std::optional<double> lo, std::optional<double> hi) {
  field().items->minimum = lo;
  field().items->maximum = hi;
  return *this;
}
FieldRef& FieldRef::item_choices(std::vector<std::string> c) {
  field().items->choices = std::move(c);
  return *this;
}
FieldRef& FieldRef::no_default() {
  field().default_value = nullptr;
  return *this;
}
FieldRef& FieldRef::default_value(nlohmann::json v) {
  field().default_value = std::move(v);
  return *this;
}

const Field* find_field(const ObjectSpec& spec, const std::string& dotted_key) {
  const auto dot = dotted_key.find('.');
  std::string head = dotted_key.substr(0, dot);
  const auto bracket = head.find('[');
  const bool indexed = bracket != std::string::npos;
  if (indexed) head = head.substr(0, bracket);
  for (const auto& f : spec.fields) {
    if (f.key != head) continue;
    if (indexed && (f.type != Type::Array || !f.object)) return nullptr;
    if (dot == std::string::npos) return indexed ? nullptr : &f;
    if ((f.type == Type::Object || indexed) && f.object)
      return find_field(*f.object, dotted_key.substr(dot + 1));
    if (f.type == Type::Map && f.object) {
      // "recipes.cu.top_fraction": the map key, then a field of its value.
      const std::string rest = dotted_key.substr(dot + 1);
      const auto dot2 = rest.find('.');
      const std::string name = rest.substr(0, dot2);
      if (!f.key_choices.empty() &&
          std::find(f.key_choices.begin(), f.key_choices.end(), name) == f.key_choices.end())
        return nullptr;
      if (dot2 == std::string::npos) return nullptr;
      return find_field(*f.object, rest.substr(dot2 + 1));
    }
    return nullptr;
  }
  return nullptr;
}

} // namespace prospector::options
