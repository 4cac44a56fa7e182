#include "pipeline/io/training.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using prospector::parse_commodities;
using V = std::vector<std::string>;

TEST_CASE("training: commodity fields as deposit databases write them", "[training]") {
  CHECK(parse_commodities("cu") == V{"cu"});
  CHECK(parse_commodities("Cu, Au") == V{"cu"});
  CHECK(parse_commodities("Au-Cu-Co") == V{"cu", "co"});
  CHECK(parse_commodities("copper") == V{"cu"});
  CHECK(parse_commodities("TIN") == V{"sn"});
  CHECK(parse_commodities("Copper/Gold") == V{"cu"});
  CHECK(parse_commodities("  Ni ; Co ") == V{"ni", "co"});
  CHECK(parse_commodities("Lithium+Sn") == V{"li", "sn"});
  CHECK(parse_commodities("Nickel, Cobalt, Copper") == V{"cu", "ni", "co"}); // in known_commodities() order
  CHECK(parse_commodities("Cu-Au, copper") == V{"cu"});                      // named twice, counted once
}

TEST_CASE("training: a field naming no known commodity gives none", "[training]") {
  CHECK(parse_commodities("Au").empty());
  CHECK(parse_commodities("Au-Ag, Zn").empty());
  CHECK(parse_commodities("").empty());
  CHECK(parse_commodities(" , ;").empty());
  CHECK(parse_commodities("cuprite").empty()); // whole items only
  CHECK(parse_commodities("Cu Au").empty());   // a space does not separate items
}
