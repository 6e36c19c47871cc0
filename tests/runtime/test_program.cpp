// tests/runtime/test_program.cpp - a model input inside its reader's zero
// border: Program::copyIn writes its rows there, the program's JSON (an
// object's schedule) keeps the border, and fromJson rejects a border that
// does not fit.
#include "runtime/Program.h"

#include <catch2/catch.hpp>

#include <vector>

using cnnc::Program;

namespace {

Program bordered() {
  Program p;
  p.name = "m";
  p.arenaStride = 64;
  // A 2x2x1 input with one row on top and a column left and right: 3 x 4 floats.
  p.inputs.push_back({"x", 4, {2, 2, 1}, 1, 1, 1});
  p.outputs.push_back({"y", 32, {2, 2, 1}});
  return p;
}

} // namespace

TEST_CASE("copyIn writes a bordered input's rows inside the border", "[runtime]") {
  Program p = bordered();
  std::vector<float> arena(64, -1.f), x{1, 2, 3, 4};
  const float *in[] = {x.data()};
  p.copyIn(in, arena.data());
  // Rows of 4 floats from offset 4: the top row and the side columns are left alone.
  CHECK(std::vector<float>(arena.begin() + 4, arena.begin() + 16) ==
        std::vector<float>{-1, -1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1});
  CHECK(arena[16] == -1.f);
}

TEST_CASE("a program's JSON keeps an input's border and fromJson checks it", "[runtime]") {
  Program p = bordered();
  Program q = Program::fromJson(p.toJson(), nullptr, 0);
  REQUIRE(q.inputs.size() == 1);
  CHECK(q.inputs[0].top == 1);
  CHECK(q.inputs[0].left == 1);
  CHECK(q.inputs[0].right == 1);
  CHECK_FALSE(q.outputs[0].bordered());

  p.inputs[0].offset = 64 - 11; // its last row ends at 4 x 3 = 12 floats
  CHECK_THROWS_WITH(Program::fromJson(p.toJson(), nullptr, 0),
                    Catch::Contains("port 'x' lies outside the arena"));
  p = bordered();
  p.outputs[0].left = 1; // copyOut reads plain rows
  CHECK_THROWS_WITH(Program::fromJson(p.toJson(), nullptr, 0),
                    Catch::Contains("port 'y' has a bad border"));
  p = bordered();
  p.inputs[0].top = -1;
  CHECK_THROWS_WITH(Program::fromJson(p.toJson(), nullptr, 0),
                    Catch::Contains("port 'x' has a bad border"));
}
