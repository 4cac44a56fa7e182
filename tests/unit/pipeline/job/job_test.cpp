#include "pipeline/base/errors.hpp"
#include "pipeline/job/job.hpp"
#include "pipeline/job/recipe.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace prospector;
namespace fs = std::filesystem;

namespace {

std::string write_job(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "prospector_job_test";
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

const char* kValid = R"({
  "name": "t",
  "grid": {"crs": "EPSG:28350", "cell_size": 50, "extent": [0, 0, 1000, 1000]},
  "inputs": [{"id": "tmi", "kind": "magnetics", "path": "tmi.tif"},
             {"id": "soil", "kind": "geochem_points", "path": "s.csv", "x_column": "x", "y_column": "y",
              "crs": "EPSG:4326", "elements": [{"element": "Cu", "column": "Cu_ppm"}],
              "below_detection": {"negative_values": true}}],
  "commodities": ["cu"]
})";

int error_code_of(const std::string& path, std::string& message) {
  try {
    load_job(path);
  } catch (const Error& e) {
    message = e.what();
    return e.exit_code();
  }
  return 0;
}

} // namespace

TEST_CASE("a valid job loads with defaults filled in", "[job]") {
  Job j = load_job(write_job("valid.json", kValid));
  CHECK(j.name == "t");
  CHECK(j.grid.extent_mode == "explicit");
  CHECK(j.grid.extent[2] == 1000);
  REQUIRE(j.inputs.size() == 2);
  CHECK(fs::path(j.inputs[0].path).is_absolute());
  CHECK(j.inputs[0].resampling == "auto");
  CHECK(j.inputs[1].below_detection.negative_values);
  CHECK(j.inputs[1].below_detection.substitute == "half_dl");
  CHECK(j.inputs[1].gridding.max_points == 12);
  CHECK(j.targets.top_fraction == Approx(0.02));
  CHECK(j.anomaly.local_radius == 15);
  CHECK(j.commodities == std::vector<std::string>{"cu"});
}

TEST_CASE("job errors name the key and the file and map to exit code 2", "[job]") {
  struct Case {
    const char* name;
    std::string from, to;
    std::string expect;
  };
  const std::string v = kValid;
  std::vector<Case> cases = {
      {"unknown_top.json", "\"name\": \"t\",", "\"name\": \"t\", \"colour\": 1,", "unknown key 'colour'"},
      {"unknown_nested.json", "\"kind\": \"magnetics\",", "\"kind\": \"magnetics\", \"kynd\": 2,",
       "unknown key 'inputs[0].kynd'"},
      {"wrong_type.json", "\"cell_size\": 50", "\"cell_size\": \"fifty\"", "grid.cell_size"},
      {"negative_cell.json", "\"cell_size\": 50", "\"cell_size\": -5", "grid.cell_size"},
      {"bad_commodity.json", "[\"cu\"]", "[\"gold\"]", "'gold' is not one of"},
      {"bad_kind.json", "\"magnetics\"", "\"seismic\"", "inputs[0].kind"},
      {"missing_grid.json", "\"grid\":", "\"grud\":", "unknown key 'grud'"},
      {"dup_id.json", "\"id\": \"soil\"", "\"id\": \"tmi\"", "duplicate id"},
      {"points_missing_cols.json", "\"x_column\": \"x\",", "", "x_column"},
  };
  for (const auto& c : cases) {
    std::string text = v;
    const auto pos = text.find(c.from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, c.from.size(), c.to);
    const std::string path = write_job(c.name, text);
    std::string msg;
    INFO(c.name);
    CHECK(error_code_of(path, msg) == 2);
    CHECK_THAT(msg, Catch::Contains(c.expect));
    CHECK_THAT(msg, Catch::Contains(c.name));
  }
}

TEST_CASE("every problem of a job file is reported in one pass, one line each", "[job]") {
  auto lines_of = [](const std::string& m) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (;;) {
      const std::size_t nl = m.find('\n', at);
      out.push_back(m.substr(at, nl - at));
      if (nl == std::string::npos) return out;
      at = nl + 1;
    }
  };
  // Three schema problems: a wrong type, an unknown key, a value below the minimum.
  std::string text = kValid;
  text.replace(text.find("\"name\": \"t\""), 11, "\"name\": 5");
  text.replace(text.find("\"commodities\""), 13, "\"colour\": 1, \"commodities\"");
  text.replace(text.find("\"cell_size\": 50"), 15, "\"cell_size\": -1");
  const std::string path = write_job("three_problems.json", text);
  std::string msg;
  CHECK(error_code_of(path, msg) == 2);
  const auto lines = lines_of(msg);
  REQUIRE(lines.size() == 3);
  for (const auto& l : lines)
    CHECK(l.rfind(path + ": ", 0) == 0);
  CHECK(msg.find("key 'name'") != std::string::npos);
  CHECK(msg.find("unknown key 'colour'") != std::string::npos);
  CHECK(msg.find("key 'grid.cell_size'") != std::string::npos);
  CHECK(msg.find("prospector schema job") != std::string::npos);
  CHECK(msg.find("schemas/job.schema.json") == std::string::npos);

  // Cross-field problems too: an align_to that names no input and a commodity listed twice.
  std::string cross = kValid;
  cross.replace(cross.find("\"cell_size\": 50"), 15, "\"cell_size\": 50, \"align_to\": \"nope\"");
  cross.replace(cross.find("[\"cu\"]"), 6, "[\"cu\", \"cu\"]");
  CHECK(error_code_of(write_job("two_cross_problems.json", cross), msg) == 2);
  CHECK(lines_of(msg).size() == 2);
  CHECK(msg.find("key 'grid.align_to'") != std::string::npos);
  CHECK(msg.find("key 'commodities'") != std::string::npos);
}

TEST_CASE("invalid JSON reports line and column", "[job]") {
  std::string msg;
  CHECK(error_code_of(write_job("syntax.json", "{\n  \"name\": \"t\",\n  oops\n}"), msg) == 2);
  CHECK_THAT(msg, Catch::Contains("line 3"));
}

TEST_CASE("a missing job file is a usage error", "[job]") {
  std::string msg;
  CHECK(error_code_of("/nonexistent/job.json", msg) == 2);
  CHECK_THAT(msg, Catch::Contains("/nonexistent/job.json"));
}

TEST_CASE("nesting beyond the depth limit is refused before the document is built", "[job][hostile]") {
  std::string msg;
  const std::string deep = "{\"name\": " + std::string(1000000, '[') + std::string(1000000, ']') + "}";
  CHECK(error_code_of(write_job("deep.json", deep), msg) == 2);
  CHECK_THAT(msg, Catch::Contains("nested deeper than 64"));
  CHECK_THAT(msg, Catch::Contains("deep.json"));
  const int limit = options::kMaxJsonDepth;
  CHECK_NOTHROW(options::parse_json(std::string(limit, '[') + std::string(limit, ']'), "f.json"));
  CHECK_THROWS_WITH(options::parse_json(std::string(limit + 1, '[') + std::string(limit + 1, ']'), "f.json"),
                    Catch::Contains("nested deeper"));
}

TEST_CASE("a key given twice in one object names the key and both lines", "[job][hostile]") {
  std::string msg;
  std::string text = kValid;
  text.insert(1, "\n  \"output\": {\"folder\": \"a\"},\n  \"output\": {\"folder\": \"b\"},");
  CHECK(error_code_of(write_job("dup_key.json", text), msg) == 2);
  CHECK_THAT(msg, Catch::Contains("key 'output'") && Catch::Contains("lines 2 and 3"));
  CHECK_THROWS_WITH(options::parse_json("{\"a\": [{\"b\": 1}, {\"b\": 1,\n\"b\": 2}]}", "f.json"),
                    Catch::Contains("key 'a[1].b'") && Catch::Contains("lines 1 and 2"));
  // The same key in different objects is fine.
  CHECK_NOTHROW(options::parse_json("{\"a\": {\"b\": 1}, \"c\": {\"b\": 1}}", "f.json"));
}

TEST_CASE("job files above the size limit are refused before they are read", "[job][hostile]") {
  std::string text = kValid;
  text.append(options::kMaxJsonBytes, ' ');
  std::string msg;
  CHECK(error_code_of(write_job("huge.json", text), msg) == 2);
  CHECK_THAT(msg, Catch::Contains("huge.json") && Catch::Contains("16 MiB"));
  fs::remove(fs::temp_directory_path() / "prospector_job_test" / "huge.json");
}

TEST_CASE("strings that end up in HDF5 attributes have a declared maximum length", "[job][hostile]") {
  std::string text = kValid;
  const std::string from = "\"name\": \"t\"";
  text.replace(text.find(from), from.size(), "\"name\": \"" + std::string(70000, 'n') + "\"");
  std::string msg;
  CHECK(error_code_of(write_job("long_name.json", text), msg) == 2);
  CHECK_THAT(msg, Catch::Contains("key 'name'") && Catch::Contains("4096"));
  // Characters, not bytes: 4096 two-byte characters are allowed.
  std::string utf8;
  for (int i = 0; i < 4096; ++i)
    utf8 += "\xc3\xa9";
  text = kValid;
  text.replace(text.find(from), from.size(), "\"name\": \"" + utf8 + "\"");
  CHECK(load_job(write_job("utf8_name.json", text)).name == utf8);
  const auto s = options::to_json_schema(job_spec(), "id");
  CHECK(s["properties"]["name"]["maxLength"] == 4096);
}

TEST_CASE("the job schema is generated from the declarations", "[job][schema]") {
  const auto s = options::to_json_schema(job_spec(), "id");
  CHECK(s["additionalProperties"] == false);
  CHECK(s["properties"]["grid"]["properties"]["cell_size"]["exclusiveMinimum"] == 0.0);
  CHECK(s["properties"]["inputs"]["items"]["properties"]["kind"]["enum"].size() == input_kinds().size());
  CHECK(s["properties"]["targets"]["properties"]["top_fraction"]["default"] == 0.02);
  CHECK(s["required"].size() == 2);
}

TEST_CASE("bundled recipes load and cite a deposit model", "[recipe]") {
  Job j = load_job(
      write_job("valid_all.json", std::string(kValid).replace(std::string(kValid).find("[\"cu\"]"), 6,
                                                              "[\"cu\", \"li\", \"ni\", \"co\", \"sn\"]")));
  for (const auto& c : j.commodities) {
    Recipe r = load_recipe(j, c);
    INFO(c);
    CHECK(r.commodity == c);
    CHECK_FALSE(r.deposit_model.empty());
    CHECK(r.evidence.size() >= 3);
    double total = 0, max_w = 0;
    for (const auto& e : r.evidence) {
      total += e.weight;
      max_w = std::max(max_w, e.weight);
    }
    // A decoy is an anomaly in one layer only: no single evidence may dominate a recipe.
    CHECK(max_w / total < 0.4);
  }
}
