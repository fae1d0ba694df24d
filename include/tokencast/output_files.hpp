#pragma once
// Where outputs go, checked before any work is done, and how they are written: nothing is ever
// half-written, no file but a regular one is ever replaced, and no input is ever written over
// (docs/json-output.md, "Writing files").
#include <atomic>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace tokencast {

// One destination of a command's output.
struct OutputTarget {
  std::string option;    // "--output", "--report": for messages
  std::string path;      // as given; "-" for standard output
  std::string resolved;  // the regular file it names, every symlink followed; empty for standard output
  bool to_stdout() const { return resolved.empty(); }
};

// "-" is standard output. Any other path must name a regular file, or nothing yet inside an
// existing directory; a symlink is followed to its target, which is then what gets replaced (in
// its own directory). Refused with a UsageError (exit 2): an empty path; a directory, device, FIFO
// or socket; a symlink chain that loops or runs past 40 links; a missing directory; any of
// `inputs` (the same file, by device and inode); a file another output already writes (`taken`).
OutputTarget check_output_target(std::string option, const std::string& path, std::span<const std::string> inputs,
                                 std::span<const OutputTarget> taken = {});

// Writes every output, all or none. Standard output first; then each file goes to a temporary
// beside its target, flushed to disk, and once all are written they are renamed over their targets
// in turn; should a rename fail, the targets already replaced get their earlier contents back.
// `cancel`, when set before the renames, removes the temporaries and throws Interrupted. Failures
// throw OutputError naming the file, and leave no temporary behind.
void write_outputs(std::span<const std::pair<OutputTarget, std::string>> outputs,
                   const std::atomic<bool>* cancel = nullptr);

// Writes `text` to standard output and flushes it; throws OutputError when the write fails (a
// full disk, a closed pipe).
void write_stdout(std::string_view text);

// Removes the temporary files being written right now. Async-signal-safe: for a signal handler
// that ends the process before they can be cleaned up in order.
void remove_temporary_files_now() noexcept;

}  // namespace tokencast
