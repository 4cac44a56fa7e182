#include "pipeline/stages/registry.hpp"
#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

using namespace prospector;

TEST_CASE("stage registry: one list in execution order, each record documented", "[stages]") {
  const StageList& r = stage_registry();
  std::vector<std::string> names;
  for (const Stage* s : r)
    names.push_back(s->info().short_name());
  CHECK(names == std::vector<std::string>{"ingest", "fft", "transform", "stats", "anomaly", "model", "score",
                                          "targets", "learn", "publish"});
  CHECK(&stage_registry() == &r);
  for (const Stage* s : r) {
    const StageInfo& i = s->info();
    INFO(i.name);
    CHECK(i.name == "pipeline." + i.short_name());
    CHECK(!i.description.empty());
    CHECK(i.description.find('\n') == std::string::npos);
    CHECK(i.doc.size() > i.description.size());
  }
}

TEST_CASE("stage registry: every unit reads only units of earlier stages that exist", "[stages]") {
  const Plan& p = test::TinyRun::get().plan;
  std::map<std::string, size_t> order;
  for (const Stage* s : stage_registry())
    order[s->info().short_name()] = order.size();
  for (const Stage* s : stage_registry()) {
    const std::int64_t units = s->info().per_tile ? p.tiles.count() : 1;
    for (std::int64_t u = 0; u < units; ++u) {
      const std::int64_t unit = s->info().per_tile ? u : kGlobalUnit;
      for (const Upstream& up : s->upstream(p, unit)) {
        INFO(s->info().name << " unit " << unit << " reads " << up.stage << " " << up.unit);
        REQUIRE(order.count(up.stage) == 1);
        CHECK(order[up.stage] < order[s->info().short_name()]);
        const Stage& from = test::stage_named(up.stage);
        if (from.info().per_tile)
          CHECK((up.unit == kEveryTile || (up.unit >= 0 && up.unit < p.tiles.count())));
        else
          CHECK(up.unit == kGlobalUnit);
      }
      for (const auto& f : s->outputs(p, unit)) {
        INFO(s->info().name << " output " << f);
        CHECK(std::ifstream(f).good());
      }
    }
  }
}
