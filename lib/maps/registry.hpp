// SPDX-License-Identifier: MIT
// Private: the constructors behind make_feature_map(). Each map family lives
// in its own source file under lib/maps/ and is registered in feature_map.cpp.
#pragma once

#include <deepdot/maps/feature_map.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace deepdot::detail {

/// `options` is the part of the spec after the first ':' (empty if none).
using MapMaker = std::unique_ptr<FeatureMap> (*)(const std::string& options, const Kernel& kernel,
                                                 arma::uword input_dim, arma::uword output_dim,
                                                 std::uint64_t seed);

std::unique_ptr<FeatureMap> make_taylor_map(const std::string&, const Kernel&, arma::uword, arma::uword, std::uint64_t);
std::unique_ptr<FeatureMap> make_maclaurin_map(const std::string&, const Kernel&, arma::uword, arma::uword, std::uint64_t);
std::unique_ptr<FeatureMap> make_tensorsketch_map(const std::string&, const Kernel&, arma::uword, arma::uword, std::uint64_t);
std::unique_ptr<FeatureMap> make_srht_map(const std::string&, const Kernel&, arma::uword, arma::uword, std::uint64_t);
std::unique_ptr<FeatureMap> make_fourier_map(const std::string&, const Kernel&, arma::uword, arma::uword, std::uint64_t);
std::unique_ptr<FeatureMap> make_layerwise_map(const std::string&, const Kernel&, arma::uword, arma::uword, std::uint64_t);
std::unique_ptr<FeatureMap> make_nystrom_map(const std::string&, const Kernel&, arma::uword, arma::uword, std::uint64_t);

}  // namespace deepdot::detail
