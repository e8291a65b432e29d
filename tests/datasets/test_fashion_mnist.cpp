// SPDX-License-Identifier: MIT
#include <deepdot/datasets/fashion_mnist.hpp>

#include <doctest/doctest.h>

#include "support/idx_test_support.hpp"

#include <cstdlib>
#include <string>

using namespace deepdot::test_idx;

TEST_CASE("fashion_mnist: load_fashion_mnist from a directory, the environment, and with files missing") {
  TempDir dir;
  // A tiny fake data set in the expected layout: 28 x 28 images, labels 0..9.
  dir.write_gz("t10k-images-idx3-ubyte.gz", image_file(20, 28, 28));
  dir.write("t10k-labels-idx1-ubyte", label_file(20));
  const auto test = deepdot::load_fashion_mnist("test", 7, dir.path);
  CHECK(test.images.n_rows == 784);
  CHECK(test.images.n_cols == 7);
  CHECK(test.labels.n_elem == 7);

  std::string m = message_of([&] { deepdot::load_fashion_mnist("train", 5, dir.path); });
  CHECK(m.find("apt-get install dataset-fashion-mnist") != std::string::npos);
  CHECK(m.find("train-images-idx3-ubyte") != std::string::npos);
  CHECK(message_of([&] { deepdot::load_fashion_mnist("validation", 5, dir.path); }).find("\"train\" or \"test\"") !=
        std::string::npos);

  // Count mismatch between images and labels.
  dir.write("train-images-idx3-ubyte", image_file(5, 28, 28));
  dir.write("train-labels-idx1-ubyte", label_file(4));
  CHECK(message_of([&] { deepdot::load_fashion_mnist("train", deepdot::idx_all, dir.path); }).find("4 labels") !=
        std::string::npos);

  // The environment variable selects the directory when no argument is given.
  const char* old = std::getenv("DEEPDOT_FASHION_MNIST_DIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("DEEPDOT_FASHION_MNIST_DIR", dir.path.c_str(), 1);
  CHECK(deepdot::fashion_mnist_directory() == dir.path);
  CHECK(deepdot::load_fashion_mnist("test").images.n_cols == 20);
  if (old != nullptr) setenv("DEEPDOT_FASHION_MNIST_DIR", saved.c_str(), 1);
  else unsetenv("DEEPDOT_FASHION_MNIST_DIR");
}

TEST_CASE("fashion_mnist: the installed Fashion-MNIST, if present") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  deepdot::LabelledImages data;
  try {
    data = deepdot::load_fashion_mnist("train", 100, dir);
  } catch (const std::invalid_argument& e) {
    MESSAGE("Fashion-MNIST not installed, skipping: ", e.what());
    return;
  }
  CHECK(data.images.n_rows == 784);
  CHECK(data.images.n_cols == 100);
  CHECK(data.images.min() >= 0.0);
  CHECK(data.images.max() <= 255.0);
  CHECK(data.images.max() > 0.0);
  CHECK(data.labels.n_elem == 100);
  CHECK(data.labels.min() >= 0);
  CHECK(data.labels.max() <= 9);
  const auto test = deepdot::load_fashion_mnist("test", 10, dir);
  CHECK(test.images.n_cols == 10);
}
