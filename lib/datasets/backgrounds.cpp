// SPDX-License-Identifier: MIT
#include <deepdot/datasets/backgrounds.hpp>

#include <deepdot/core/random.hpp>

#include "core/check.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepdot {
namespace {

using detail::fail;
using detail::format_double;

const char* kHowToGet =
    "write it with `bash scripts/get-backgrounds.sh` (from the repository root; it needs python3-skimage), or "
    "point DEEPDOT_BACKGROUNDS at such a file";
const char* kRelativePath = "third_party/backgrounds/natural-images.pgm";

// A cursor over the bytes of a PGM stream, for messages that say where a rule was broken.
struct Reader {
  const std::string& bytes;
  const std::string& name;
  std::size_t pos = 0;
  std::size_t image = 0;

  [[noreturn]] void error(const std::string& what) const {
    fail("parse_background_photos()", name + ": image " + std::to_string(image) + " (byte offset " +
                                          std::to_string(pos) + "): " + what);
  }
  bool at_end() const { return pos >= bytes.size(); }
  void skip_space() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(bytes[pos]))) ++pos;
  }
  std::string line() {  // the rest of the current line, without the newline
    const std::size_t end = bytes.find('\n', pos);
    const std::string text = bytes.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? bytes.size() : end + 1;
    return text;
  }
  // A header number; comments between header fields are allowed by Netpbm but not used here.
  unsigned long number(const char* field) {
    skip_space();
    if (!at_end() && bytes[pos] == '#') error(std::string("a comment where the ") + field + " was expected");
    const std::size_t start = pos;
    while (!at_end() && std::isdigit(static_cast<unsigned char>(bytes[pos]))) ++pos;
    if (pos == start || pos - start > 9) error(std::string("the ") + field + " is not a positive integer");
    return std::stoul(bytes.substr(start, pos - start));
  }
};

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// Mean and standard deviation of the h x w patch of `photo` at (r0, c0).
void patch_moments(const arma::mat& photo, arma::uword r0, arma::uword c0, ImageShape s, double& mean, double& sd) {
  double sum = 0.0;
  for (arma::uword c = 0; c < s.width; ++c)
    for (arma::uword r = 0; r < s.height; ++r) sum += photo(r0 + r, c0 + c);
  const double n = static_cast<double>(s.pixels());
  mean = sum / n;
  double ss = 0.0;  // two passes: the one-pass formula loses digits on flat patches
  for (arma::uword c = 0; c < s.width; ++c)
    for (arma::uword r = 0; r < s.height; ++r) {
      const double d = photo(r0 + r, c0 + c) - mean;
      ss += d * d;
    }
  sd = std::sqrt(ss / n);
}

void check_inputs(const arma::mat& images, const std::vector<GreyPhoto>& photos, double min_patch_sd,
                  double max_value, ImageShape shape, const std::string& where) {
  if (shape.height == 0 || shape.width == 0)
    fail(where, "image shape " + std::to_string(shape.height) + " x " + std::to_string(shape.width) + " is empty");
  if (images.n_rows != shape.pixels())
    fail(where, "images must have " + std::to_string(shape.pixels()) + " rows (" + std::to_string(shape.height) +
                    " x " + std::to_string(shape.width) + " pixels, one image per column), got " +
                    std::to_string(images.n_rows));
  if (!std::isfinite(max_value) || !(max_value > 0.0))
    fail(where, "max_value must be a positive finite number, got " + format_double(max_value));
  if (!std::isfinite(min_patch_sd) || min_patch_sd < 0.0 || min_patch_sd >= 128.0)
    fail(where, "min_patch_sd must be in [0, 128) grey levels, got " + format_double(min_patch_sd));
  for (arma::uword j = 0; j < images.n_cols; ++j)
    for (arma::uword i = 0; i < images.n_rows; ++i)
      if (!(images(i, j) >= 0.0 && images(i, j) <= max_value))
        fail(where, "pixel values must lie in [0, max_value = " + format_double(max_value) + "], got " +
                        format_double(images(i, j)) + " at row " + std::to_string(i) + ", column " +
                        std::to_string(j));
  if (photos.empty()) fail(where, "no photographs to cut the backgrounds from");
  for (const GreyPhoto& p : photos)
    if (p.pixels.n_rows < shape.height || p.pixels.n_cols < shape.width)
      fail(where, "photograph '" + p.name + "' is " + std::to_string(p.pixels.n_rows) + " x " +
                      std::to_string(p.pixels.n_cols) + ", smaller than the " + std::to_string(shape.height) +
                      " x " + std::to_string(shape.width) + " images");
}

arma::mat paste_on_patches(const arma::mat& images, const std::vector<GreyPhoto>& photos, Rng& rng,
                           double min_patch_sd, double max_value, ImageShape s, const std::string& where) {
  constexpr int kMaxDraws = 1000;
  arma::mat out = images;
  const double scale = max_value / 255.0;
  for (arma::uword j = 0; j < out.n_cols; ++j) {
    const GreyPhoto* photo = nullptr;
    arma::uword r0 = 0, c0 = 0;
    for (int draw = 0;; ++draw) {
      if (draw == kMaxDraws)
        fail(where, "no patch with a standard deviation >= " + format_double(min_patch_sd) + " grey levels in " +
                        std::to_string(kMaxDraws) + " draws (image " + std::to_string(j) +
                        "): the photographs are too flat for min_patch_sd");
      photo = &photos[rng.below(photos.size())];
      r0 = rng.below(photo->pixels.n_rows - s.height + 1);
      c0 = rng.below(photo->pixels.n_cols - s.width + 1);
      double mean = 0.0, sd = 0.0;
      patch_moments(photo->pixels, r0, c0, s, mean, sd);
      if (sd >= min_patch_sd) break;
    }
    double* col = out.colptr(j);
    for (arma::uword r = 0; r < s.height; ++r)
      for (arma::uword c = 0; c < s.width; ++c) {
        double& v = col[r * s.width + c];
        v = std::max(v, scale * photo->pixels(r0 + r, c0 + c));
      }
  }
  return out;
}

}  // namespace

BackgroundPhotos parse_background_photos(const std::string& bytes, const std::string& name) {
  Reader in{bytes, name};
  BackgroundPhotos out;
  in.skip_space();
  while (!in.at_end()) {
    if (bytes.compare(in.pos, 2, "P5") != 0) in.error("expected the binary PGM magic number \"P5\"");
    in.pos += 2;
    if (in.at_end() || !std::isspace(static_cast<unsigned char>(bytes[in.pos])))
      in.error("\"P5\" must be followed by white space");
    in.skip_space();
    const std::string tag = "# deepdot-background ";
    if (bytes.compare(in.pos, tag.size(), tag) != 0)
      in.error("the header must start with the comment '# deepdot-background <train|test> <name>'");
    in.pos += tag.size();
    std::istringstream words(in.line());
    std::string split, source, extra;
    words >> split >> source;
    if (split != "train" && split != "test")
      in.error("the split in '# deepdot-background' must be train or test, got '" + split + "'");
    if (source.empty() || (words >> extra)) in.error("'# deepdot-background " + split + "' must name one source");
    const unsigned long width = in.number("width"), height = in.number("height"), maxval = in.number("maxval");
    if (maxval != 255) in.error("maxval must be 255 (8-bit grey), got " + std::to_string(maxval));
    if (width < 28 || height < 28)
      in.error("photograph '" + source + "' is " + std::to_string(width) + " x " + std::to_string(height) +
               "; backgrounds must be at least 28 x 28");
    if (in.at_end() || !std::isspace(static_cast<unsigned char>(bytes[in.pos])))
      in.error("maxval must be followed by one white-space byte");
    ++in.pos;
    const std::size_t count = static_cast<std::size_t>(width) * height;
    if (bytes.size() - in.pos < count)
      in.error("the pixel block is truncated: " + std::to_string(count) + " bytes needed, " +
               std::to_string(bytes.size() - in.pos) + " left");
    GreyPhoto p;
    p.name = source;
    p.pixels.set_size(height, width);
    const auto* px = reinterpret_cast<const unsigned char*>(bytes.data() + in.pos);
    for (unsigned long r = 0; r < height; ++r)
      for (unsigned long c = 0; c < width; ++c) p.pixels(r, c) = px[r * width + c];
    in.pos += count;
    (split == "train" ? out.train : out.test).push_back(std::move(p));
    ++in.image;
    in.skip_space();
  }
  if (out.train.empty() || out.test.empty())
    fail("parse_background_photos()", name + ": needs at least one train and one test photograph, got " +
                                          std::to_string(out.train.size()) + " train and " +
                                          std::to_string(out.test.size()) + " test");
  return out;
}

std::string background_photos_file() {
  if (const char* env = std::getenv("DEEPDOT_BACKGROUNDS"); env && *env) return env;
  std::vector<char> buf(4096);
  if (!::getcwd(buf.data(), buf.size())) return "";
  std::string dir = buf.data();
  while (true) {
    const std::string cand = (dir == "/" ? "" : dir) + "/" + kRelativePath;
    if (is_file(cand)) return cand;
    if (dir == "/" || dir.empty()) return "";
    const std::size_t slash = dir.find_last_of('/');
    dir = slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
  }
}

BackgroundPhotos load_background_photos(const std::string& path) {
  const std::string where = "load_background_photos()";
  const std::string file = path.empty() ? background_photos_file() : path;
  if (file.empty())
    fail(where, std::string("no background file (") + kRelativePath +
                    " in the current directory or its parents, or $DEEPDOT_BACKGROUNDS); " + kHowToGet);
  if (!is_file(file)) fail(where, "cannot find '" + file + "'; " + kHowToGet);
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(where, "cannot open '" + file + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(where, "error while reading '" + file + "'");
  return parse_background_photos(text.str(), file);
}

arma::mat natural_image_background(const arma::mat& images, const std::vector<GreyPhoto>& photos,
                                   std::uint64_t seed, double min_patch_sd, double max_value, ImageShape shape) {
  const std::string where = "natural_image_background()";
  check_inputs(images, photos, min_patch_sd, max_value, shape, where);
  Rng rng(seed);
  return paste_on_patches(images, photos, rng, min_patch_sd, max_value, shape, where);
}

arma::mat make_variation(const std::string& name, const arma::mat& images, std::uint64_t seed,
                         const std::vector<GreyPhoto>& photos, double max_value, ImageShape shape) {
  if (name != "background" && name != "rotation+background")
    return make_variation(name, images, seed, max_value, shape);
  const std::string where = "make_variation()";
  check_inputs(images, photos, kMinPatchSd, max_value, shape, where);
  // The same angles as "rotation" (stream 0), then the patches from their own stream.
  const arma::mat base = name == "rotation+background" ? make_variation("rotation", images, seed, max_value, shape)
                                                       : images;
  Rng patch_rng(seed, 2);
  return paste_on_patches(base, photos, patch_rng, kMinPatchSd, max_value, shape, where);
}

}  // namespace deepdot
