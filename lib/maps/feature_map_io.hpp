// SPDX-License-Identifier: MIT
// Private: a feature map's encoding written to and read from memory directly.
// The model file embeds it; FeatureMap::save()/load() wrap these for streams.
// (Going through string streams copied a 46 MB Nystroem state three times.)
#pragma once

#include <deepdot/maps/feature_map.hpp>

#include "io/binary_io.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace deepdot::detail {

/// Appends the complete encoding of `map` to `out`.
void write_feature_map(const FeatureMap& map, BinaryWriter& out);
/// Decodes a map from exactly `size` bytes; throws std::invalid_argument
/// (naming the byte offset) on a corrupt, truncated or foreign encoding, or
/// when the stored output dimension D exceeds `max_output_dim` (what the
/// enclosing file can justify, e.g. the rows of a model's weights), checked
/// before the map is built.
std::unique_ptr<FeatureMap> read_feature_map(const char* data, std::size_t size,
                                             std::uint64_t max_output_dim = ~std::uint64_t(0));

}  // namespace deepdot::detail
