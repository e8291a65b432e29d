// SPDX-License-Identifier: MIT
// Shared by the solver tests: an expected std::invalid_argument whose message
// names what was wrong. Header-only.
#pragma once

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace solver_test {

/// f() must throw std::invalid_argument with `fragment` in its message.
template <class F>
void check_throws_with(F&& f, const std::string& fragment) {
  try {
    f();
    FAIL("no exception; expected one mentioning '" << fragment << "'");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find(fragment) != std::string::npos);
  }
}

}  // namespace solver_test
