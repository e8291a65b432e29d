// SPDX-License-Identifier: MIT
#include <deepdot/io/atomic_file.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("deepdot_test_atomic_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> s;
  for (const auto& e : fs::directory_iterator(dir)) s.insert(e.path().filename().string());
  return s;
}

/// Runs `body` with the process umask set to `mask`, restoring it after.
template <typename F>
void with_umask(mode_t mask, F&& body) {
  const mode_t old = ::umask(mask);
  try {
    body();
  } catch (...) {
    ::umask(old);
    throw;
  }
  ::umask(old);
}

}  // namespace

TEST_CASE("AtomicFile: the target appears complete on commit, and only then") {
  const fs::path dir = scratch("commit");
  const std::string path = (dir / "out.txt").string();
  {
    deepdot::AtomicFile f(path, "test");
    f.write("hello ", 6);
    f.write("world", 5);
    CHECK(!fs::exists(path));  // nothing visible before commit
    CHECK(fs::path(f.temp_path()).parent_path() == dir);  // same directory: the rename is atomic
    f.commit();
  }
  CHECK(slurp(path) == "hello world");
  CHECK(names_in(dir) == std::set<std::string>{"out.txt"});
  // Without commit (an exception, an early return) the old file stays and the temp file goes.
  {
    deepdot::AtomicFile f(path, "test");
    f.write("partial", 7);
  }
  CHECK(slurp(path) == "hello world");
  CHECK(names_in(dir) == std::set<std::string>{"out.txt"});
  fs::remove_all(dir);
}

TEST_CASE("AtomicFile: temporary names are random and never reused") {
  const fs::path dir = scratch("names");
  const std::string path = (dir / "m.ddm").string();
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    deepdot::AtomicFile f(path, "test");
    CHECK(seen.insert(f.temp_path()).second);
    // ".m.ddm.tmp-" and 16 random characters: not <path>.tmp or <path>.tmp.<pid>.
    const std::string name = fs::path(f.temp_path()).filename().string();
    CHECK(name.rfind(".m.ddm.tmp-", 0) == 0);
    CHECK(name.size() == 11 + 16);
  }
  fs::remove_all(dir);
}

TEST_CASE("AtomicFile: planted symlinks are never written through") {
  const fs::path dir = scratch("links");
  const fs::path victim = dir / "victim";
  std::ofstream(victim) << "precious";
  // At the target: replaced by the new file; the file it pointed to is untouched.
  fs::create_symlink(victim, dir / "out.csv");
  deepdot::write_file_atomically((dir / "out.csv").string(), "new", "test");
  CHECK(!fs::is_symlink(dir / "out.csv"));
  CHECK(slurp(dir / "out.csv") == "new");
  CHECK(slurp(victim) == "precious");
  // At every name the old writers used (<out>.tmp, <out>.tmp.<pid>): ignored.
  fs::create_symlink(victim, dir / "m.ddm.tmp");
  fs::create_symlink(victim, dir / ("m.ddm.tmp." + std::to_string(::getpid())));
  deepdot::write_file_atomically((dir / "m.ddm").string(), "model", "test", true);
  CHECK(slurp(dir / "m.ddm") == "model");
  CHECK(slurp(victim) == "precious");
  fs::remove_all(dir);
}

TEST_CASE("AtomicFile: permissions follow the umask") {
  const fs::path dir = scratch("umask");
  for (const auto& [mask, mode] : {std::pair<mode_t, mode_t>{022, 0644}, {077, 0600}, {027, 0640}, {002, 0664}}) {
    const fs::path p = dir / ("f" + std::to_string(mask));
    with_umask(mask, [&] { deepdot::write_file_atomically(p.string(), "x", "test"); });
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == mode);
  }
  fs::remove_all(dir);
}

TEST_CASE("AtomicFile: unusable paths are invalid_argument naming the path, before anything is written") {
  const fs::path dir = scratch("bad");
  CHECK_THROWS_WITH_AS(deepdot::AtomicFile("", "who()"), doctest::Contains("who(): the output path is empty"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::AtomicFile((dir / "no" / "x.csv").string(), "who()"),
                       doctest::Contains("x.csv"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::AtomicFile(dir.string(), "who()"), doctest::Contains("is a directory"),
                       std::invalid_argument);
  CHECK_THROWS_AS(deepdot::require_writable((dir / "no" / "m.ddm").string(), "train"), std::invalid_argument);
  deepdot::require_writable((dir / "ok.ddm").string(), "train");
  CHECK(names_in(dir).empty());  // the probe leaves nothing behind
  // A very long (legal) name still gets a temporary name within NAME_MAX.
  const std::string long_name = std::string(240, 'a') + ".csv";
  deepdot::write_file_atomically((dir / long_name).string(), "x", "test");
  CHECK(slurp(dir / long_name) == "x");
  fs::remove_all(dir);
}

TEST_CASE("AtomicFile: reserve() and fd() serve a memory mapping; misuse is a logic error") {
  const fs::path dir = scratch("misc");
  deepdot::AtomicFile f((dir / "a").string(), "test");
  f.reserve(4096);
  struct stat st {};
  REQUIRE(::fstat(f.fd(), &st) == 0);
  CHECK(st.st_size == 4096);
  f.commit();
  CHECK(fs::file_size(dir / "a") == 4096);
  CHECK_THROWS_AS(f.commit(), std::logic_error);
  CHECK_THROWS_AS(f.write("x", 1), std::logic_error);
  fs::remove_all(dir);
}
