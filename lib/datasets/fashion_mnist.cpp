// SPDX-License-Identifier: MIT
#include <deepdot/datasets/fashion_mnist.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace deepdot {

std::string fashion_mnist_directory() {
  const char* env = std::getenv("DEEPDOT_FASHION_MNIST_DIR");
  if (env != nullptr && *env != '\0') return env;
  return "/usr/share/datasets/fashion-mnist";
}

namespace {

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The gzipped file if present, else the uncompressed one, else throws.
std::string find_idx(const std::string& dir, const std::string& stem) {
  const std::string base = dir + "/" + stem;
  if (is_file(base + ".gz")) return base + ".gz";
  if (is_file(base)) return base;
  throw std::invalid_argument("load_fashion_mnist(): cannot find " + base + ".gz (nor " + stem +
                              " uncompressed) in '" + dir +
                              "'; install the data set with `apt-get install dataset-fashion-mnist`, or point "
                              "DEEPDOT_FASHION_MNIST_DIR (or the directory argument) at a copy of the files");
}

}  // namespace

LabelledImages load_fashion_mnist(const std::string& split, arma::uword max_count, const std::string& directory) {
  std::string prefix;
  if (split == "train") prefix = "train";
  else if (split == "test" || split == "t10k") prefix = "t10k";
  else
    throw std::invalid_argument("load_fashion_mnist(): split must be \"train\" or \"test\", got \"" + split + "\"");
  const std::string dir = directory.empty() ? fashion_mnist_directory() : directory;
  const std::string images_path = find_idx(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_idx(dir, prefix + "-labels-idx1-ubyte");
  LabelledImages out;
  out.images = read_idx_images(images_path, max_count);
  out.labels = read_idx_labels(labels_path, max_count);
  if (out.images.n_rows != 784)
    throw std::invalid_argument("load_fashion_mnist(): '" + images_path + "' holds images of " +
                                std::to_string(out.images.n_rows) + " pixels, expected 28 x 28 = 784");
  if (out.images.n_cols != out.labels.n_elem)
    throw std::invalid_argument("load_fashion_mnist(): '" + images_path + "' gives " +
                                std::to_string(out.images.n_cols) + " images but '" + labels_path + "' gives " +
                                std::to_string(out.labels.n_elem) + " labels");
  for (arma::uword i = 0; i < out.labels.n_elem; ++i)
    if (out.labels[i] < 0 || out.labels[i] > 9)
      throw std::invalid_argument("load_fashion_mnist(): '" + labels_path + "': label " + std::to_string(i) +
                                  " is " + std::to_string(out.labels[i]) + ", outside 0..9");
  return out;
}

}  // namespace deepdot
