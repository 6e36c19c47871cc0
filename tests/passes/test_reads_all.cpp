// tests/passes/test_reads_all.cpp - readsAll (ir/IR.h): a conv kernel
// that does not read an attribute set away from its default declines it.
#include "ir/IR.h"

#include <catch2/catch.hpp>

TEST_CASE("a conv kernel declines attributes it does not read", "[passes]") {
  using A = cnnc::ConvAttrs;
  A a;
  a.filters = 8, a.kh = a.kw = 3;
  CHECK(cnnc::readsAll(a, &A::filters, &A::kh, &A::kw));
  CHECK_FALSE(cnnc::readsAll(a, &A::filters, &A::kh)); // kw = 3 is not read
  a.pool = 2;
  CHECK_FALSE(cnnc::readsAll(a, &A::filters, &A::kh, &A::kw));
  CHECK(cnnc::readsAll(a, &A::filters, &A::kh, &A::kw, &A::pool));
  a.bn = {"bn1", 1e-5};
  CHECK_FALSE(cnnc::readsAll(a, &A::filters, &A::kh, &A::kw, &A::pool));
}
