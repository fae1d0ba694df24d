#include "tokencast/output_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"

namespace tokencast {
namespace {

// ---- Temporary files a signal handler can remove ------------------------------------------------

// A slot is written while `state` is 1 and readable by the handler once it is 2, so the handler
// never sees half a path.
struct TemporarySlot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 holds a path
  std::array<char, PATH_MAX> path{};
};
std::array<TemporarySlot, 32> temporary_slots;

// Registers `path`; -1 when every slot is taken (the file is still cleaned up in order).
int register_temporary(const std::string& path) {
  if (path.size() + 1 > PATH_MAX) return -1;
  for (std::size_t i = 0; i < temporary_slots.size(); ++i) {
    int expected = 0;
    if (!temporary_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(temporary_slots[i].path.data(), path.c_str(), path.size() + 1);
    temporary_slots[i].state.store(2, std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void unregister_temporary(int slot) {
  if (slot >= 0) temporary_slots[static_cast<std::size_t>(slot)].state.store(0, std::memory_order_release);
}

// A file of ours beside an output's target: a temporary (the new contents) or a backup (a hard
// link to the old ones); removed when it goes out of scope unless released.
class SideFile {
 public:
  SideFile() = default;
  explicit SideFile(std::string path) : path_(std::move(path)), slot_(register_temporary(path_)) {}
  SideFile(SideFile&& other) noexcept { *this = std::move(other); }
  SideFile& operator=(SideFile&& other) noexcept {
    std::swap(path_, other.path_);
    std::swap(slot_, other.slot_);
    return *this;
  }
  SideFile(const SideFile&) = delete;
  SideFile& operator=(const SideFile&) = delete;
  ~SideFile() { remove(); }

  const std::string& path() const { return path_; }
  bool exists() const { return !path_.empty(); }
  // The file is no longer ours (renamed away): nothing to remove.
  void release() {
    unregister_temporary(slot_);
    slot_ = -1;
    path_.clear();
  }
  void remove() {
    if (path_.empty()) return;
    ::unlink(path_.c_str());
    release();
  }

 private:
  std::string path_;
  int slot_ = -1;
};

std::atomic<unsigned> side_counter{0};

std::string side_name(const std::string& target, std::string_view kind) {
  return fmt::format("{}.{}-{}-{}", target, kind, ::getpid(), side_counter.fetch_add(1));
}

[[noreturn]] void fail_write(const std::string& path, std::string_view step, int error) {
  throw OutputError(fmt::format("cannot write {}: {}: {}", path, step, std::strerror(error)));
}

// ---- Checking a destination ---------------------------------------------------------------------

std::string_view kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

[[noreturn]] void refuse(const std::string& option, const std::string& path, const std::string& why) {
  throw UsageError(fmt::format("{} {}: {}", option, path, why));
}

// Follows a chain of symlinks whose end does not exist yet: the name the new file gets.
std::string dangling_end(const std::string& option, const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops <= 40; ++hops) {
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0) return current;
    if (!S_ISLNK(st.st_mode)) return current;
    std::array<char, PATH_MAX> buffer{};
    const ssize_t length = ::readlink(current.c_str(), buffer.data(), buffer.size() - 1);
    if (length < 0) refuse(option, path, fmt::format("cannot follow the symlink {}: {}", current, std::strerror(errno)));
    const std::string link(buffer.data(), static_cast<std::size_t>(length));
    current = !link.empty() && link[0] == '/' ? link : directory_of(current) + "/" + link;
  }
  refuse(option, path, "too many levels of symbolic links");
}

bool same_file(const struct stat& a, const std::string& other) {
  struct stat b {};
  return ::stat(other.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

OutputTarget check_output_target(std::string option, const std::string& path, std::span<const std::string> inputs,
                                 std::span<const OutputTarget> taken) {
  OutputTarget target{std::move(option), path, {}};
  if (path.empty()) throw UsageError(fmt::format("{}: the path is empty (give a file, or - for standard output)", target.option));
  if (path == "-") return target;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      refuse(target.option, path,
             fmt::format("{}, not a regular file: only regular files are written (- writes to standard output)",
                         kind_of(st.st_mode)));
    }
    for (const std::string& input : inputs) {
      if (same_file(st, input)) refuse(target.option, path, fmt::format("is the input {}: an input is never written over", input));
    }
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
    if (!real) refuse(target.option, path, std::strerror(errno));
    target.resolved = real.get();
  } else if (errno == ENOENT) {
    const std::string end = dangling_end(target.option, path);
    struct stat dir {};
    const std::string directory = directory_of(end);
    if (::stat(directory.c_str(), &dir) != 0 || !S_ISDIR(dir.st_mode)) {
      refuse(target.option, path, fmt::format("its directory {} does not exist", directory));
    }
    target.resolved = end;
  } else if (errno == ELOOP) {
    refuse(target.option, path, "too many levels of symbolic links");
  } else {
    refuse(target.option, path, std::strerror(errno));
  }
  for (const OutputTarget& other : taken) {
    if (other.to_stdout()) continue;
    struct stat mine {};
    const bool same = other.resolved == target.resolved ||
                      (::stat(target.resolved.c_str(), &mine) == 0 && same_file(mine, other.resolved));
    if (same) refuse(target.option, path, fmt::format("is also the file of {}", other.option));
  }
  return target;
}

void write_stdout(std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw OutputError(fmt::format("cannot write to standard output: {}", std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
}

namespace {

// Writes `contents` to a new temporary beside `target`, flushed to disk, with the target's
// permissions when it exists.
SideFile write_temporary(const std::string& target, std::string_view contents) {
  SideFile temp(side_name(target, "tmp"));
  // O_EXCL: never reuse a stale file of the same name, nor follow a symlink planted there.
  const int fd = ::open(temp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int error = errno;
    temp.release();  // nothing was created
    fail_write(target, fmt::format("creating {}", temp.path()), error);
  }
  int error = 0;
  std::string_view step;
  struct stat old {};
  if (::stat(target.c_str(), &old) == 0) ::fchmod(fd, old.st_mode & 07777);
  std::size_t done = 0;
  while (error == 0 && done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno;
      step = "writing";
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  // Data must be on disk before the rename makes it visible, or a crash could leave PATH empty.
  if (error == 0 && ::fsync(fd) != 0) {
    error = errno;
    step = "syncing";
  }
  if (::close(fd) != 0 && error == 0) {
    error = errno;
    step = "closing";
  }
  if (error != 0) fail_write(target, step, error);  // `temp` removes the file
  return temp;
}

}  // namespace

void write_outputs(std::span<const std::pair<OutputTarget, std::string>> outputs, const std::atomic<bool>* cancel) {
  struct Pending {
    const OutputTarget* target;
    SideFile temp, backup;
    bool had_old = false;
  };
  for (const auto& [target, text] : outputs) {
    if (target.to_stdout()) write_stdout(text);
  }
  std::vector<Pending> pending;
  for (const auto& [target, text] : outputs) {
    if (target.to_stdout()) continue;
    pending.push_back(Pending{&target, write_temporary(target.resolved, text), {}, false});
  }
  if (cancel != nullptr && cancel->load()) throw Interrupted();  // the temporaries go with `pending`
  for (Pending& p : pending) {
    struct stat st {};
    p.had_old = ::lstat(p.target->resolved.c_str(), &st) == 0;
    if (!p.had_old) continue;
    SideFile backup(side_name(p.target->resolved, "old"));
    if (::link(p.target->resolved.c_str(), backup.path().c_str()) == 0) {
      p.backup = std::move(backup);
    } else {
      backup.release();  // no link made: the old contents cannot be restored, but are not lost either
    }
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    Pending& p = pending[i];
    if (::rename(p.temp.path().c_str(), p.target->resolved.c_str()) == 0) {
      p.temp.release();
      continue;
    }
    const int error = errno;
    // Put back what was already replaced: together or not at all.
    for (std::size_t j = 0; j < i; ++j) {
      Pending& done = pending[j];
      if (done.backup.exists()) {
        if (::rename(done.backup.path().c_str(), done.target->resolved.c_str()) == 0) done.backup.release();
      } else if (!done.had_old) {
        ::unlink(done.target->resolved.c_str());
      }
    }
    fail_write(p.target->resolved, "renaming the temporary file over it", error);
  }
  // Success: the backups (links to the old contents) go with `pending`.
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  const std::pair<OutputTarget, std::string> output{OutputTarget{"--output", path, path}, std::string(contents)};
  write_outputs(std::span(&output, 1));
}

void remove_temporary_files_now() noexcept {
  for (TemporarySlot& slot : temporary_slots) {
    if (slot.state.load(std::memory_order_acquire) == 2) ::unlink(slot.path.data());
  }
}

}  // namespace tokencast
