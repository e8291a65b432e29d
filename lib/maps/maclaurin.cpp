// Placeholder until the maclaurin map lands: the factory reports it as unavailable.
#include "registry.hpp"

#include "../check.hpp"

namespace deepdot::detail {

std::unique_ptr<FeatureMap> make_maclaurin_map(const std::string&, const Kernel&, arma::uword, arma::uword,
                                          std::uint64_t) {
  fail("make_feature_map()", "the 'maclaurin' map is not implemented yet");
}

}  // namespace deepdot::detail
