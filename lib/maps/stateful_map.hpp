// SPDX-License-Identifier: MIT
// Private: the base of the library's own feature maps. FeatureMap (public)
// is the interface users transform with; the library's families also know
// how to write and restore their complete state, which model files embed.
// Keeping these hooks here keeps the binary encoder (io/binary_io.hpp) out of
// the public headers.
#pragma once

#include <deepdot/maps/feature_map.hpp>

#include "io/binary_io.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace deepdot::detail {

class StatefulMap : public FeatureMap {
 public:
  /// Map-specific state, written after the common header by FeatureMap::save().
  virtual void save_state(BinaryWriter& out) const = 0;
  /// Restores what save_state() wrote; called on a freshly built map.
  virtual void load_state(BinaryReader& in) = 0;

  /// The encoding version load_state() reads (set by the reader first): lets a
  /// family whose state changed between versions read the older layout.
  void set_encoding_version(std::uint64_t version) { encoding_version_ = version; }
  /// The encoding version save_state() writes, if older than the current one
  /// (0: the current one): a map loaded from an old layout is written back in it.
  virtual std::uint64_t saved_encoding_version() const { return 0; }

 protected:
  using FeatureMap::FeatureMap;
  std::uint64_t encoding_version() const { return encoding_version_; }

 private:
  std::uint64_t encoding_version_ = ~std::uint64_t(0);  // not read from an encoding: the current layout
};

/// `map` as one of the library's families, or std::invalid_argument naming
/// `where` for a map a user derived from FeatureMap (it has no file encoding).
inline const StatefulMap& stateful(const FeatureMap& map, const char* where) {
  const auto* s = dynamic_cast<const StatefulMap*>(&map);
  if (!s)
    throw std::invalid_argument(std::string(where) + ": the map '" + map.spec() +
                                "' is not one of deepdot's map families, so it has no file encoding");
  return *s;
}
inline StatefulMap& stateful(FeatureMap& map, const char* where) {
  return const_cast<StatefulMap&>(stateful(static_cast<const FeatureMap&>(map), where));
}

}  // namespace deepdot::detail
