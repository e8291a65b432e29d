// SPDX-License-Identifier: MIT
/// @file atomic_file.hpp
/// Writing a file so that nobody ever sees it half written, and so that a
/// planted symlink or a guessed temporary name cannot redirect the write.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace deepdot {

/// A new file that replaces `path` only when commit() succeeds.
///
/// The data goes to a temporary file created next to `path` (same directory,
/// so the final rename is atomic) under a random name, with
/// O_CREAT | O_EXCL | O_NOFOLLOW: an existing file or symlink of that name is
/// never opened, let alone followed. Its permissions are 0666 minus the
/// process umask, as for any file the user creates. commit() renames it over
/// `path` (a symlink at `path` is replaced, not written through); if commit()
/// is never reached (an exception, an early return), the destructor removes
/// the temporary file and `path` is untouched.
///
/// @code
/// deepdot::AtomicFile f("out.csv", "write_csv()");
/// f.write(text.data(), text.size());
/// f.commit();                     // out.csv appears complete, or not at all
/// @endcode
class AtomicFile {
 public:
  /// Creates the temporary file. `who` starts every error message
  /// ("Model::save()"). Throws std::invalid_argument if `path` is empty, names
  /// a directory, or its directory does not exist or cannot be written (a
  /// problem with the path the user gave), std::runtime_error on other
  /// system failures.
  AtomicFile(const std::string& path, std::string who);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// Appends n bytes; throws std::runtime_error (e.g. the disk is full).
  void write(const void* data, std::size_t n);
  /// Reserves `bytes` of disk for the file up front (posix_fallocate), so a
  /// full disk is an error here rather than a SIGBUS in a memory mapping.
  void reserve(std::size_t bytes);
  /// The open descriptor, for mmap(); commit() closes it.
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return tmp_; }
  /// Flushes (to disk too if `sync`: models, whose loss costs a training run),
  /// closes and renames the file onto path(). Throws std::runtime_error, after
  /// removing the temporary file, if any step fails.
  void commit(bool sync = false);

 private:
  [[noreturn]] void fail(const std::string& step, int err);
  std::string path_, tmp_, who_;
  int fd_ = -1;
  bool done_ = false;
};

/// Writes `bytes` to `path` through an AtomicFile (see there).
void write_file_atomically(const std::string& path, std::string_view bytes, const std::string& who,
                           bool sync = false);

/// Checks, before a long computation, that an AtomicFile for `path` can be
/// created (by creating and removing one), so that a bad output path fails
/// in seconds rather than after the work. Throws as AtomicFile's constructor.
void require_writable(const std::string& path, const std::string& who);

}  // namespace deepdot
