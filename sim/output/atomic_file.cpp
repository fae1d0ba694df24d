#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

#include "tokencast/output.hpp"

namespace tokencast {
namespace {

// Distinguishes temp files of concurrent writers within one process; the pid does across processes.
std::atomic<unsigned> temp_counter{0};

// errno of the call that just failed; EIO if the C library left it unset.
int last_error() { return errno != 0 ? errno : EIO; }

[[noreturn]] void fail(const std::string& path, std::string_view what, int error) {
  throw std::runtime_error(fmt::format("cannot write {}: {}: {}", path, what, std::strerror(error)));
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  const std::string temp = fmt::format("{}.tmp-{}-{}", path, ::getpid(), temp_counter.fetch_add(1));
  // "x": never reuse a stale file of the same name (or follow a symlink planted there).
  std::FILE* file = std::fopen(temp.c_str(), "wbx");
  if (file == nullptr) fail(path, fmt::format("creating {}", temp), last_error());

  errno = 0;
  int error = 0;
  std::string_view step;
  if (std::fwrite(contents.data(), 1, contents.size(), file) != contents.size()) {
    error = last_error();
    step = "writing";
  } else if (std::fflush(file) != 0) {
    error = last_error();
    step = "flushing";
  } else if (::fsync(::fileno(file)) != 0) {
    // Data must be on disk before the rename makes it visible, or a crash could leave PATH empty.
    error = last_error();
    step = "syncing";
  }
  if (std::fclose(file) != 0 && error == 0) {
    error = last_error();
    step = "closing";
  }
  if (error == 0 && std::rename(temp.c_str(), path.c_str()) != 0) {
    error = last_error();
    step = "renaming the temporary file over it";
  }
  if (error != 0) {
    std::remove(temp.c_str());
    fail(path, step, error);
  }
}

}  // namespace tokencast
