// SPDX-License-Identifier: MIT
#include <deepdot/model/model.hpp>

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/version.hpp>

#include <doctest/doctest.h>

#include <zlib.h>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

namespace {

arma::mat unit_columns(arma::uword d, arma::uword n, std::uint64_t stream) {
  arma::mat X = deepdot::Rng(11, stream).normal_matrix(d, n);
  X.each_col([](arma::vec& x) { x /= arma::norm(x); });
  return X;
}

deepdot::ModelParts feature_parts() {
  deepdot::ModelParts p;
  p.kernel = deepdot::make_kernel("recursive:2");
  p.map = deepdot::make_feature_map("fourier:orf", p.kernel, 4, 16, 7);
  p.weights = deepdot::Rng(11, 2).normal_matrix(16, 3);
  p.classes = {-1, 4, 9};
  p.lambdas = {1e-3, 1e-3, 2e-3};
  p.seed = 7;
  p.input_dim = 4;
  p.training_size = 100;
  p.library_version = deepdot::version;
  p.metadata = {{"map", "fourier:orf"}, {"note", "unit test"}};
  return p;
}

deepdot::ModelParts kernel_parts() {
  deepdot::ModelParts p;
  p.mode = deepdot::ModelMode::kernel_limit;
  p.kernel = deepdot::make_kernel("recursive:1");
  p.support = unit_columns(4, 12, 3);
  p.dual = deepdot::Rng(11, 4).normal_matrix(12, 2);
  p.lambdas = {0.0, 1e-2};
  p.norm_bound = 5.0;
  p.scaling = deepdot::Scaling::max_norm;
  p.scaling_factor = 3.5;
  p.precision = deepdot::Precision::double_precision;
  p.input_dim = 4;
  p.training_size = 12;
  p.library_version = deepdot::version;
  return p;
}

/// A fresh empty directory under the system temp dir.
fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("deepdot_test_model_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void restore_checksum(std::string& bytes) {
  const std::size_t body = bytes.size() - 4;
  const auto crc = static_cast<std::uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(body)));
  for (int i = 0; i < 4; ++i) bytes[body + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
}

void put_u64(std::string& bytes, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::string message_of(const std::string& bytes, const std::string& name) {
  try {
    deepdot::Model::deserialize(bytes, name);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Model: a feature-map model round-trips through a file with bit-identical predictions") {
  const deepdot::Model m(feature_parts());
  const arma::mat X = 2.0 * unit_columns(4, 50, 5);  // raw inputs: the model scales them
  const arma::mat P = m.predict(X);
  REQUIRE(P.n_rows == 3);
  const fs::path dir = scratch_dir("roundtrip");
  const std::string path = (dir / "m.ddm").string();
  m.save(path);
  const deepdot::Model back = deepdot::Model::load(path);
  CHECK(arma::approx_equal(back.predict(X), P, "absdiff", 0.0));
  CHECK(arma::all(back.predict_labels(X) == m.predict_labels(X)));
  CHECK(back.serialize() == m.serialize());
  CHECK(back.parts().metadata == m.parts().metadata);
  CHECK(arma::all(back.parts().classes == m.parts().classes));
  CHECK(back.parts().map->spec() == "fourier:orf");
  CHECK(back.parts().library_version == deepdot::version);
  // Batching changes float features only by rounding (SGEMM blocking depends on the batch width).
  CHECK(arma::abs(m.predict(X, 7) - P).max() < 1e-5 * arma::abs(P).max());
  // Saving over an existing file replaces it; no temporary file is left.
  m.save(path);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  fs::remove_all(dir);
}

TEST_CASE("Model: a Nystroem model predicts through the folded weights, as W' phi(x) would") {
  for (const auto precision : {deepdot::Precision::double_precision, deepdot::Precision::single_precision}) {
    deepdot::ModelParts p = feature_parts();
    p.map = [&] {
      auto map = deepdot::make_feature_map("nystrom:chol", p.kernel, 4, 16, 7);
      map->fit(unit_columns(4, 40, 6));
      return std::shared_ptr<const deepdot::FeatureMap>(std::move(map));
    }();
    p.metadata = {{"map", "nystrom:chol"}};
    p.precision = precision;
    const deepdot::Model m(p);
    REQUIRE(m.parts().map->has_linear_tail());
    const arma::mat X = unit_columns(4, 30, 8);
    const arma::mat expected = p.weights.t() * p.map->transform(X);
    CHECK(arma::abs(m.predict(X) - expected).max() <
          (precision == deepdot::Precision::double_precision ? 1e-10 : 1e-4) * arma::abs(expected).max());
  }
}

TEST_CASE("Model: a kernel-limit model round-trips with bit-identical predictions") {
  const deepdot::Model m(kernel_parts());
  CHECK(!m.is_classifier());
  const arma::mat X = 3.0 * unit_columns(4, 30, 6);
  const arma::mat P = m.predict(X);
  const deepdot::Model back = deepdot::Model::deserialize(m.serialize(), "memory");
  CHECK(arma::approx_equal(back.predict(X), P, "absdiff", 0.0));
  CHECK(back.parts().norm_bound == 5.0);
  CHECK(back.parts().scaling == deepdot::Scaling::max_norm);
  CHECK(back.parts().scaling_factor == 3.5);
  CHECK_THROWS_AS(m.predict_labels(X), std::logic_error);
}

TEST_CASE("Model: every byte flip is rejected with a message naming the file") {
  const std::string good = deepdot::Model(feature_parts()).serialize();
  REQUIRE(good.size() < 20000);
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    const std::string msg = message_of(bad, "Model::load('x.ddm')");
    INFO("flipped byte " << i);
    REQUIRE(msg.find("x.ddm") != std::string::npos);
    CHECK(msg.find("byte offset") != std::string::npos);
  }
  std::string bad = good;
  bad[good.size() / 2] ^= 1;
  CHECK(message_of(bad, "f").find("checksum mismatch") != std::string::npos);
}

TEST_CASE("Model: every truncation is rejected as truncated") {
  const std::string good = deepdot::Model(kernel_parts()).serialize();
  for (std::size_t cut = 1; cut < good.size(); ++cut) {
    const std::string msg = message_of(good.substr(0, cut), "Model::load('t.ddm')");
    INFO("cut at " << cut << ": " << msg);
    REQUIRE(msg.find("t.ddm") != std::string::npos);
    CHECK(msg.find("truncated") != std::string::npos);
  }
  CHECK(message_of("", "e").find("empty") != std::string::npos);
}

TEST_CASE("Model: foreign, empty, missing, unsupported and absurd files") {
  const fs::path dir = scratch_dir("bad");
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return (dir / name).string();
  };
  const std::string foreign = write("foreign.ddm", "P5\n28 28\n255\n not a model at all");
  CHECK_THROWS_WITH_AS(deepdot::Model::load(foreign), doctest::Contains("foreign.ddm"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::Model::load(foreign), doctest::Contains("wrong magic"), std::invalid_argument);
  const std::string empty = write("empty.ddm", "");
  CHECK_THROWS_WITH_AS(deepdot::Model::load(empty), doctest::Contains("empty.ddm"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::Model::load(empty), doctest::Contains("empty"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::Model::load((dir / "missing.ddm").string()), doctest::Contains("missing.ddm"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::Model::load(dir.string()), doctest::Contains("directory"), std::invalid_argument);

  const std::string good = deepdot::Model(feature_parts()).serialize();
  std::string future = good;
  put_u64(future, 8, deepdot::model_file_version + 1);
  restore_checksum(future);
  CHECK(message_of(future, "v").find("format version " + std::to_string(deepdot::model_file_version + 1) +
                                     " is not supported") != std::string::npos);
  // A version-2 file relabelled as version 1 has a section version 1 does not know.
  std::string older = good;
  put_u64(older, 8, 1);
  restore_checksum(older);
  CHECK(message_of(older, "v").find("unexpected section 'FEATSCAL'") != std::string::npos);

  // A weights section claiming a 2^40 x 3 matrix, with a valid checksum: rejected
  // before anything is allocated.
  std::string absurd = good;
  const std::size_t tag = absurd.find(std::string("WEIGHTS\0", 8));
  REQUIRE(tag != std::string::npos);
  put_u64(absurd, tag + 16, std::uint64_t(1) << 40);
  restore_checksum(absurd);
  const std::string msg = message_of(absurd, "a");
  CHECK(msg.find("larger than") != std::string::npos);
  CHECK(msg.find("WEIGHTS") != std::string::npos);

  // Trailing garbage changes the length.
  CHECK(message_of(good + "xx", "g").find("trailing") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("Model: a failed save leaves no partial file") {
  const deepdot::Model m(feature_parts());
  const fs::path dir = scratch_dir("atomic");
  // The directory does not exist: the temp file cannot be created (a bad path: invalid_argument).
  CHECK_THROWS_WITH_AS(m.save((dir / "no" / "such" / "m.ddm").string()), doctest::Contains("m.ddm"), std::invalid_argument);
  // The target is an existing directory: refused before anything is written.
  fs::create_directories(dir / "target" / "inside");
  CHECK_THROWS_WITH_AS(m.save((dir / "target").string()), doctest::Contains("is a directory"), std::invalid_argument);
  for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename() == "target");
  // The old file survives a failed overwrite and a good save still works.
  const std::string path = (dir / "m.ddm").string();
  m.save(path);
  CHECK(deepdot::Model::load(path).serialize() == m.serialize());
  CHECK_THROWS_AS(m.save(""), std::invalid_argument);
  fs::remove_all(dir);
}

TEST_CASE("Model: every validation branch of the constructor and of predict") {
  auto bad = [](auto change) {
    deepdot::ModelParts p = feature_parts();
    change(p);
    return p;
  };
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.input_dim = 0; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.map.reset(); })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.input_dim = 5; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.kernel = deepdot::make_kernel("recursive:3"); })),
                  std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.weights = arma::mat(15, 3); })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.weights(0, 0) = arma::datum::nan; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.classes = {1, 2}; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.classes = {3, 2, 1}; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.lambdas = {1.0}; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.lambdas = {1.0, -1.0, 1.0}; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.norm_bound = -1.0; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.scaling_factor = 0.0; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad([](deepdot::ModelParts& p) { p.metadata = {{"", "x"}}; })), std::invalid_argument);
  auto bad_kernel = [](auto change) {
    deepdot::ModelParts p = kernel_parts();
    change(p);
    return p;
  };
  CHECK_THROWS_AS(deepdot::Model(bad_kernel([](deepdot::ModelParts& p) { p.support = arma::mat(3, 12); })),
                  std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad_kernel([](deepdot::ModelParts& p) { p.dual = arma::mat(11, 2); })),
                  std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Model(bad_kernel([](deepdot::ModelParts& p) { p.support *= 2.0; })), std::invalid_argument);

  const deepdot::Model empty;
  CHECK(empty.empty());
  CHECK_THROWS_AS(empty.predict(arma::mat(4, 2)), std::logic_error);
  CHECK_THROWS_AS(empty.serialize(), std::logic_error);
  const deepdot::Model m(feature_parts());
  CHECK_THROWS_WITH_AS(m.predict(arma::mat(5, 2, arma::fill::ones)), doctest::Contains("d = 4"), std::invalid_argument);
  CHECK_THROWS_AS(m.predict(arma::mat(4, 2, arma::fill::ones), 0), std::invalid_argument);
  CHECK(m.predict(arma::mat(4, 0)).n_cols == 0);
}

TEST_CASE("parse_precision and precision_name round-trip; a bad name names the value and the choices") {
  for (auto p : {deepdot::Precision::single_precision, deepdot::Precision::double_precision})
    CHECK(deepdot::parse_precision(deepdot::precision_name(p)) == p);
  CHECK(deepdot::precision_name(deepdot::Precision::single_precision) == "float");
  CHECK_THROWS_WITH_AS(deepdot::parse_precision("half"),
                       doctest::Contains("parse_precision(): unknown precision 'half'; expected float or double"),
                       std::invalid_argument);
}

namespace {

/// Offset of the feature map's D field in a serialised features-mode model:
/// after the FEATMAP tag and length, the map's magic and version, and its two
/// length-prefixed spec strings, then d (8 bytes).
std::size_t map_output_dim_offset(const std::string& bytes) {
  const std::size_t tag = bytes.find(std::string("FEATMAP\0", 8));
  REQUIRE(tag != std::string::npos);
  std::size_t p = tag + 16 + 16;
  for (int k = 0; k < 2; ++k) {
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[p + i])) << (8 * i);
    p += 8 + n;
  }
  return p + 8;
}

deepdot::ModelParts named_parts() {
  deepdot::ModelParts p = feature_parts();
  p.weights = p.weights.cols(0, 1);
  p.classes = {0, 1};
  p.lambdas = {1e-3, 1e-3};
  return p;
}

}  // namespace

TEST_CASE("Model: a map claiming more features than its weights hold is refused before it is built") {
  const std::string good = deepdot::Model(feature_parts()).serialize();  // D = 16, c = 3
  const std::size_t at = map_output_dim_offset(good);
  for (const std::uint64_t D : {std::uint64_t(17), std::uint64_t(1) << 20, std::uint64_t(1) << 40, ~std::uint64_t(0)}) {
    std::string bad = good;
    put_u64(bad, at, D);
    restore_checksum(bad);
    const std::string msg = message_of(bad, "claims.ddm");
    INFO(msg);
    CHECK(msg.find("claims.ddm") != std::string::npos);
    CHECK(msg.find("output dimension D = " + std::to_string(D)) != std::string::npos);
    CHECK(msg.find("at most D = 16") != std::string::npos);
  }
  // The input dimension is bounded by make_feature_map's limit.
  std::string bad = good;
  put_u64(bad, at - 8, std::uint64_t(1) << 40);
  restore_checksum(bad);
  CHECK(message_of(bad, "d.ddm").find("input_dim d = 1099511627776 is more than the limit") != std::string::npos);
}

TEST_CASE("Model: non-regular files are read only as far as the header says") {
  // /dev/zero has no end: rejected after the preamble for its magic, not read until memory runs out.
  CHECK_THROWS_WITH_AS(deepdot::Model::load("/dev/zero"), doctest::Contains("wrong magic"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::Model::load("/dev/null"), doctest::Contains("empty"), std::invalid_argument);
  const fs::path dir = scratch_dir("fifo");
  const std::string fifo = (dir / "m.fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string good = deepdot::Model(feature_parts()).serialize();
  auto feed = [&](const std::string& payload, bool forever) {
    return std::thread([fifo, payload, forever] {
      std::FILE* f = std::fopen(fifo.c_str(), "wb");
      if (f == nullptr) return;
      std::fwrite(payload.data(), 1, payload.size(), f);
      const std::string zeros(1 << 16, '\0');
      while (forever && std::fwrite(zeros.data(), 1, zeros.size(), f) == zeros.size()) {
      }
      std::fclose(f);
    });
  };
  std::signal(SIGPIPE, SIG_IGN);  // the writer outlives the reader
  {  // a valid model through a pipe
    std::thread t = feed(good, false);
    CHECK(deepdot::Model::load(fifo).serialize() == good);
    t.join();
  }
  {  // a preamble claiming 2^60 bytes, then zeros for ever
    std::string head = good.substr(0, 32);
    put_u64(head, 16, std::uint64_t(1) << 60);
    std::thread t = feed(head, true);
    CHECK_THROWS_WITH_AS(deepdot::Model::load(fifo), doctest::Contains("length field"), std::invalid_argument);
    t.join();
  }
  {  // a model followed by more bytes: trailing data, not an endless read
    std::thread t = feed(good, true);
    CHECK_THROWS_WITH_AS(deepdot::Model::load(fifo), doctest::Contains("trailing"), std::invalid_argument);
    t.join();
  }
  fs::remove_all(dir);
}

TEST_CASE("Model: class names are stored, and labels are scored through the model's classes") {
  deepdot::Model m(named_parts());
  REQUIRE(m.is_classifier());
  const arma::mat X = unit_columns(4, 30, 8);
  const arma::ivec predicted = m.predict_labels(X);
  // Numeric classes: labels by value, whatever the file's own set of labels is.
  const arma::vec y = arma::conv_to<arma::vec>::from(predicted);
  CHECK(m.score(X, y).accuracy == 1.0);
  const arma::uvec idx = m.class_indices(arma::vec{1, 0, 7});
  CHECK(idx[0] == 1);
  CHECK(idx[1] == 0);
  CHECK(idx[2] == 2);  // never seen: classes.n_elem
  CHECK_THROWS_WITH_AS(m.class_indices(arma::vec{0.5}, {}, "f.csv"), doctest::Contains("f.csv: point 0 has label 0.5"),
                       std::invalid_argument);

  // The training file's text labels name the classes: codes 0 -> "cat", 1 -> "dog".
  m.name_classes({"cat", "dog"});
  CHECK(m.parts().class_names == std::vector<std::string>{"cat", "dog"});
  const deepdot::Model back = deepdot::Model::deserialize(m.serialize(), "named");
  CHECK(back.parts().class_names == m.parts().class_names);
  CHECK(back.serialize() == m.serialize());

  // A test file that holds only "dog": its own code for dog is 0, which must not mean "cat".
  const arma::uvec dogs = arma::find(predicted == 1);
  REQUIRE(dogs.n_elem > 0);
  const arma::mat Xd = X.cols(dogs);
  const deepdot::Model::LabelScore s = back.score(Xd, arma::zeros<arma::vec>(dogs.n_elem), {"dog"}, "dogs.csv");
  CHECK(s.accuracy == 1.0);
  CHECK(s.unseen == 0);
  // A label the model never saw counts as wrong, and is counted.
  arma::vec y2 = arma::zeros<arma::vec>(dogs.n_elem);
  y2[0] = 1;  // "emu"
  const deepdot::Model::LabelScore s2 = back.score(Xd, y2, {"dog", "emu"}, "zoo.csv");
  CHECK(s2.unseen == 1);
  CHECK(s2.accuracy == doctest::Approx(1.0 - 1.0 / dogs.n_elem));
  // Mixing text and numeric labels is an error naming the file.
  CHECK_THROWS_WITH_AS(back.score(Xd, y2, {}, "nums.csv"), doctest::Contains("nums.csv: the labels are numbers"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::Model(named_parts()).score(Xd, y2, {"dog", "emu"}, "txt.csv"),
                       doctest::Contains("txt.csv: the labels are text"), std::invalid_argument);
  // name_classes needs a code per class; the constructor one name per class, sorted.
  deepdot::Model m2(named_parts());
  CHECK_THROWS_AS(m2.name_classes({"only"}), std::invalid_argument);
  deepdot::ModelParts p = named_parts();
  p.class_names = {"dog", "cat"};
  CHECK_THROWS_WITH_AS(deepdot::Model{p}, doctest::Contains("sorted"), std::invalid_argument);
  p.class_names = {"a"};
  CHECK_THROWS_WITH_AS(deepdot::Model{p}, doctest::Contains("1 class names for 2 classes"), std::invalid_argument);
}
