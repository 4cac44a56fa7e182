#include "kernels/targets/outline.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace prospector::kernels;

namespace {

struct Mask {
  std::int64_t rows, cols;
  std::vector<std::uint8_t> v;
};

Mask parse(const std::vector<std::string>& art) {
  Mask m{static_cast<std::int64_t>(art.size()), static_cast<std::int64_t>(art.at(0).size()), {}};
  for (const auto& line : art)
    for (char ch : line)
      m.v.push_back(ch == '#' ? 1 : 0);
  return m;
}

std::int64_t twice_area(const CornerRing& r) {
  std::int64_t a = 0;
  for (std::size_t i = 0; i + 1 < r.size(); ++i)
    a += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  return a;
}

// Even-odd crossing count of the point (x, y) against one axis-parallel ring.
bool inside(const CornerRing& r, double x, double y) {
  bool in = false;
  for (std::size_t i = 0; i + 1 < r.size(); ++i) {
    const double x0 = static_cast<double>(r[i][0]), y0 = static_cast<double>(r[i][1]);
    const double x1 = static_cast<double>(r[i + 1][0]), y1 = static_cast<double>(r[i + 1][1]);
    if ((y0 > y) != (y1 > y) && x < x0 + (y - y0) * (x1 - x0) / (y1 - y0)) in = !in;
  }
  return in;
}

// The number of 4-connected groups of set cells, by flood fill (independent of the kernel's labelling).
int groups4(const Mask& m) {
  std::vector<int> seen(m.v.size(), 0);
  int n = 0;
  for (std::int64_t s = 0; s < m.rows * m.cols; ++s) {
    if (!m.v[static_cast<size_t>(s)] || seen[static_cast<size_t>(s)]) continue;
    ++n;
    std::vector<std::int64_t> st{s};
    seen[static_cast<size_t>(s)] = 1;
    while (!st.empty()) {
      const std::int64_t k = st.back();
      st.pop_back();
      const std::int64_t r = k / m.cols, c = k % m.cols;
      const std::int64_t nb[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
      for (const auto& p : nb) {
        if (p[0] < 0 || p[0] >= m.rows || p[1] < 0 || p[1] >= m.cols) continue;
        const std::int64_t j = p[0] * m.cols + p[1];
        if (m.v[static_cast<size_t>(j)] && !seen[static_cast<size_t>(j)]) {
          seen[static_cast<size_t>(j)] = 1;
          st.push_back(j);
        }
      }
    }
  }
  return n;
}

// Checks the properties that make the outlines valid OGC polygons and an exact cover of the mask: one
// polygon per 4-connected group, closed rings without a repeated vertex (simple, since edges lie on cell
// sides and each side is used once), exterior positive and holes negative, every cell centre inside exactly
// the polygon of its group and no unset cell centre inside any polygon, and areas that add up.
void check_outlines(const Mask& m, const std::vector<CornerPolygon>& polys) {
  CHECK(static_cast<int>(polys.size()) == groups4(m));
  std::int64_t area2 = 0;
  std::set<std::pair<std::array<std::int64_t, 2>, std::array<std::int64_t, 2>>> edges;
  for (const auto& p : polys) {
    REQUIRE(!p.rings.empty());
    for (std::size_t k = 0; k < p.rings.size(); ++k) {
      const CornerRing& r = p.rings[k];
      REQUIRE(r.size() >= 5);
      CHECK(r.front() == r.back());
      std::set<std::array<std::int64_t, 2>> vs(r.begin(), r.end() - 1);
      CHECK(vs.size() == r.size() - 1);
      const std::int64_t a = twice_area(r);
      CHECK((k == 0 ? a > 0 : a < 0));
      area2 += a;
      for (std::size_t i = 0; i + 1 < r.size(); ++i) {
        // Axis-parallel edges, turning at every kept vertex.
        CHECK((r[i][0] == r[i + 1][0]) != (r[i][1] == r[i + 1][1]));
        CHECK(edges.insert({r[i], r[i + 1]}).second);
      }
    }
  }
  std::int64_t cells = 0;
  for (auto x : m.v)
    cells += x;
  CHECK(area2 == 2 * cells);
  for (std::int64_t r = 0; r < m.rows; ++r)
    for (std::int64_t c = 0; c < m.cols; ++c) {
      int hits = 0;
      for (const auto& p : polys) {
        bool in = inside(p.rings[0], static_cast<double>(c) + 0.5, static_cast<double>(r) + 0.5);
        for (std::size_t k = 1; k < p.rings.size() && in; ++k)
          if (inside(p.rings[k], static_cast<double>(c) + 0.5, static_cast<double>(r) + 0.5)) in = false;
        hits += in;
      }
      CHECK(hits == m.v[static_cast<size_t>(r * m.cols + c)]);
    }
}

std::vector<CornerPolygon> outline(const Mask& m) {
  std::vector<CornerPolygon> p;
  const Status st = outline_cells(m.v.data(), m.rows, m.cols, p);
  INFO(st.message);
  REQUIRE(st.ok);
  return p;
}

} // namespace

TEST_CASE("outline_cells: one cell and a block give one ring of four corners", "[targets.outline_cells]") {
  const Mask one = parse({"#"});
  const auto p = outline(one);
  REQUIRE(p.size() == 1);
  REQUIRE(p[0].rings.size() == 1);
  CHECK(p[0].rings[0] == CornerRing{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}});
  const Mask block = parse({"....", ".##.", ".##.", "...."});
  const auto q = outline(block);
  REQUIRE(q.size() == 1);
  CHECK(q[0].rings[0] == CornerRing{{1, 1}, {3, 1}, {3, 3}, {1, 3}, {1, 1}});
  check_outlines(block, q);
}

TEST_CASE("outline_cells: cells touching only at a corner are separate polygons", "[targets.outline_cells]") {
  // GDAL's 8-connected polygonizer makes one figure-of-eight ring of these ("Ring Self-intersection").
  const Mask m = parse({"#.", ".#"});
  const auto p = outline(m);
  REQUIRE(p.size() == 2);
  CHECK(p[0].rings == std::vector<CornerRing>{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}});
  CHECK(p[1].rings == std::vector<CornerRing>{{{1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}}});
  check_outlines(m, p);
  const Mask anti = parse({".#.", "#.#", ".#."});
  const auto q = outline(anti);
  CHECK(q.size() == 4);
  check_outlines(anti, q);
}

TEST_CASE("outline_cells: a hole that touches the exterior at a corner is a separate ring",
          "[targets.outline_cells]") {
  // The group closes around (1,1) only through the diagonal at vertex (1,1): exterior and hole are two simple
  // rings that meet at that one vertex (valid OGC), not one self-touching ring ("inverted hole").
  const Mask m = parse({".##", "#.#", "###"});
  const auto p = outline(m);
  REQUIRE(p.size() == 1);
  REQUIRE(p[0].rings.size() == 2);
  CHECK(p[0].rings[0] == CornerRing{{1, 0}, {3, 0}, {3, 3}, {0, 3}, {0, 1}, {1, 1}, {1, 0}});
  CHECK(p[0].rings[1] == CornerRing{{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}});
  check_outlines(m, p);
}

TEST_CASE("outline_cells: holes touching each other, islands in holes, a ring of cells",
          "[targets.outline_cells]") {
  const std::vector<std::vector<std::string>> cases = {
      {"#####", "#.#.#", "##.##", "#.#.#", "#####"}, // four holes meeting at corners, an island between
      {"#######", "#.....#", "#.###.#", "#.#.#.#", "#.###.#", "#.....#", "#######"}, // nested rings
      {"#####", "#...#", "#.#.#", "#...#", "#####"},                                 // island in a hole
      {"##.##", "#.#.#", ".#.#.", "#.#.#", "##.##"},                                 // chequered saddles
      {"####", "#..#", "#..#", "####"},
      {".#.", "###", ".#."},
  };
  for (const auto& art : cases) {
    INFO(art[0] + "/" + art[1]);
    const Mask m = parse(art);
    check_outlines(m, outline(m));
  }
}

TEST_CASE("outline_cells: random masks are covered exactly by simple rings", "[targets.outline_cells]") {
  std::mt19937 rng(20);
  for (int trial = 0; trial < 300; ++trial) {
    const std::int64_t rows = 1 + static_cast<std::int64_t>(rng() % 12),
                       cols = 1 + static_cast<std::int64_t>(rng() % 12);
    const unsigned density = 30 + rng() % 50;
    Mask m{rows, cols, std::vector<std::uint8_t>(static_cast<size_t>(rows * cols))};
    for (auto& x : m.v)
      x = (rng() % 100) < density ? 1 : 0;
    INFO("trial " << trial);
    check_outlines(m, outline(m));
  }
}

TEST_CASE("outline_cells: empty and invalid masks", "[targets.outline_cells]") {
  std::vector<CornerPolygon> p{CornerPolygon{}};
  const std::vector<std::uint8_t> zero(6, 0);
  REQUIRE(outline_cells(zero.data(), 2, 3, p).ok);
  CHECK(p.empty());
  CHECK_FALSE(outline_cells(nullptr, 2, 3, p).ok);
  CHECK_FALSE(outline_cells(zero.data(), -1, 3, p).ok);
}

TEST_CASE("representative_cell: a cell of the mask nearest the centroid", "[targets.representative_cell]") {
  // A "U": the mean of the cells (row 4/3, col 2) lies in the gap; the nearest set cell is (2,2).
  const Mask u = parse({"#...#", "#...#", "#####"});
  std::int64_t r = -1, c = -1;
  REQUIRE(representative_cell(u.v.data(), u.rows, u.cols, r, c).ok);
  CHECK(r == 2);
  CHECK(c == 2);
  CHECK(u.v[static_cast<size_t>(r * u.cols + c)] == 1);
  // Ties go to the first cell in raster order.
  const Mask two = parse({"#.#"});
  REQUIRE(representative_cell(two.v.data(), two.rows, two.cols, r, c).ok);
  CHECK(r == 0);
  CHECK(c == 0);
  const std::vector<std::uint8_t> zero(4, 0);
  CHECK_FALSE(representative_cell(zero.data(), 2, 2, r, c).ok);
}
