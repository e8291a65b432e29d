// SPDX-License-Identifier: MIT
// libFuzzer target: the model-file reader (Model::deserialize, which
// Model::load calls on the bytes of a file). Every input must either give a
// model that serialises back to the same bytes and predicts finite scores, or
// be rejected with std::invalid_argument. Any other exception (std::bad_alloc
// from a size the file cannot justify, Armadillo's bounds errors) escapes and
// libFuzzer reports it as a crash, as it does for sanitizer findings, hangs
// (-timeout) and memory blow-ups (-rss_limit_mb).
//
// The first input byte is a switch, the rest the file: with bit 0 set the
// length field and with bit 1 the CRC-32 are made right for the mutated bytes,
// so that mutations reach the section parsers instead of all stopping at the
// checksum. Seed corpus: small valid models of every mode and map, written
// (after a 0x03 switch byte) by this binary itself when run with
// --write-seeds DIR (fuzz/run.sh does it).
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

void exercise(const deepdot::Model& m) {
  // A loaded model is internally consistent: it writes the same image back...
  const std::string again = m.serialize();
  const deepdot::Model back = deepdot::Model::deserialize(again, "round trip");
  if (back.serialize() != again) std::abort();
  // ...and predicts finite scores for a point inside the unit ball (d is
  // bounded by what the file justifies, and predict() bounds its batch).
  const arma::uword d = m.parts().input_dim;
  if (d > (arma::uword(1) << 16)) return;
  arma::mat x(d, 1, arma::fill::zeros);
  x(0, 0) = 0.5;
  const arma::mat s = m.predict(x);
  if (s.n_rows != m.num_outputs() || s.n_cols != 1 || !s.is_finite()) std::abort();
}

/// Small valid models: the seeds from which the fuzzer mutates.
void write_seeds(const std::string& dir) {
  arma::arma_rng::set_seed(3);
  const arma::mat X = arma::randn(3, 40);
  arma::ivec y(40);
  for (arma::uword i = 0; i < 40; ++i) y[i] = X(0, i) > 0 ? 1 : -1;
  int k = 0;
  for (const char* map : {"srht", "fourier:orf", "tensorsketch", "maclaurin", "nystrom", "exact", "taylor:2"}) {
    deepdot::TrainerConfig cfg;
    cfg.map = map;
    cfg.features = 16;
    cfg.kernel = "recursive:2";
    cfg.lambdas = arma::vec{0.1};
    cfg.validation_fraction = 0.0;
    const deepdot::Model m = deepdot::Trainer(cfg).fit(X, y);
    std::ofstream(dir + "/model-" + std::to_string(k++) + ".ddm", std::ios::binary) << '\x03' << m.serialize();
  }
  // A regression model and a model with named classes.
  deepdot::TrainerConfig cfg;
  cfg.map = "srht";
  cfg.features = 8;
  cfg.lambdas = arma::vec{0.1};
  cfg.validation_fraction = 0.0;
  std::ofstream(dir + "/model-regression.ddm", std::ios::binary)
      << '\x03' << deepdot::Trainer(cfg).fit_regression(X, X.row(1)).serialize();
  arma::ivec codes(40);
  for (arma::uword i = 0; i < 40; ++i) codes[i] = X(0, i) > 0 ? 1 : 0;
  deepdot::Model named = deepdot::Trainer(cfg).fit(X, codes);
  named.name_classes({"cat", "dog"});
  std::ofstream(dir + "/model-named.ddm", std::ios::binary) << '\x03' << named.serialize();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i + 1 < *argc; ++i)
    if (std::strcmp((*argv)[i], "--write-seeds") == 0) {
      write_seeds((*argv)[i + 1]);
      std::exit(0);
    }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((flags & 1) && bytes.size() >= 24)
    for (int i = 0; i < 8; ++i) bytes[16 + i] = static_cast<char>((static_cast<std::uint64_t>(bytes.size()) >> (8 * i)) & 0xFF);
  if ((flags & 2) && bytes.size() >= 4) {
    const std::size_t body = bytes.size() - 4;
    const auto crc = static_cast<std::uint32_t>(
        ::crc32(::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(body)));
    for (int i = 0; i < 4; ++i) bytes[body + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  }
  try {
    exercise(deepdot::Model::deserialize(bytes, "fuzz-input.ddm"));
  } catch (const std::invalid_argument&) {
    // rejected with a message: the expected outcome for a corrupt file
  }
  return 0;
}
