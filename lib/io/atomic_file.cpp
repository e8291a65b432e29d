// SPDX-License-Identifier: MIT
#include <deepdot/io/atomic_file.hpp>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace deepdot {
namespace {

/// 16 random characters from [a-z0-9]: guessing one is hopeless, and O_EXCL
/// refuses the name anyway if someone did.
std::string random_suffix() {
  unsigned char raw[16];
  std::size_t got = 0;
  while (got < sizeof raw) {
    const ssize_t k = ::getrandom(raw + got, sizeof raw - got, 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("AtomicFile: getrandom() failed: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(k);
  }
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (unsigned char c : raw) s += alphabet[c % 36];
  return s;
}

/// Errors that mean the path itself is unusable (exit status 2 in the apps),
/// as opposed to a failing system.
bool is_path_error(int err) {
  return err == EACCES || err == EPERM || err == ENOENT || err == ENOTDIR || err == EROFS || err == ENAMETOOLONG ||
         err == EISDIR || err == ELOOP;
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path, std::string who) : path_(path), who_(std::move(who)) {
  if (path.empty()) throw std::invalid_argument(who_ + ": the output path is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw std::invalid_argument(who_ + ": '" + path + "' is a directory; give a file name");
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  // The base name is shortened in the temporary name so that a long (legal)
  // target name cannot push the temporary one past NAME_MAX.
  const std::string base = path.substr(slash == std::string::npos ? 0 : slash + 1).substr(0, 100);
  for (int attempt = 0; attempt < 64; ++attempt) {
    tmp_ = dir + "." + base + ".tmp-" + random_suffix();
    // Mode 0666: open() applies the umask, as for any file the user creates.
    fd_ = ::open(tmp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  const int err = errno;
  const std::string msg = who_ + ": cannot create a file next to '" + path + "' (" + std::strerror(err) +
                          "); nothing was written";
  tmp_.clear();
  if (is_path_error(err)) throw std::invalid_argument(msg);
  throw std::runtime_error(msg);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::fail(const std::string& step, int err) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  tmp_.clear();
  throw std::runtime_error(who_ + ": writing '" + path_ + "' failed while " + step + ": " + std::strerror(err) +
                           "; the file was not changed");
}

void AtomicFile::write(const void* data, std::size_t n) {
  if (fd_ < 0) throw std::logic_error(who_ + ": AtomicFile::write() after commit()");
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t k = ::write(fd_, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      fail("writing", errno);
    }
    p += k;
    n -= static_cast<std::size_t>(k);
  }
}

void AtomicFile::reserve(std::size_t bytes) {
  if (bytes == 0) return;
  if (const int e = ::posix_fallocate(fd_, 0, static_cast<off_t>(bytes)); e != 0) fail("reserving disk space", e);
}

void AtomicFile::commit(bool sync) {
  if (fd_ < 0) throw std::logic_error(who_ + ": AtomicFile::commit() called twice");
  // With `sync`, the data is on disk before the rename makes it visible.
  if (sync && ::fsync(fd_) != 0) fail("flushing to disk", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("closing", errno);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail("renaming onto the target", errno);
  done_ = true;
}

void write_file_atomically(const std::string& path, std::string_view bytes, const std::string& who, bool sync) {
  AtomicFile f(path, who);
  f.write(bytes.data(), bytes.size());
  f.commit(sync);
}

void require_writable(const std::string& path, const std::string& who) {
  AtomicFile probe(path, who);  // the destructor removes it
}

}  // namespace deepdot
