#include "tokencast/errors.hpp"

#include <utility>

namespace tokencast {
namespace {

// "FILE:LINE:COL: error: KEY.PATH: MESSAGE", leaving out the parts that are unknown.
std::string format_input_error(const SourcePosition& where, const std::string& key_path,
                               const std::string& message) {
  std::string text = where.file;
  // A line without a column is a line of a log or trace: "FILE:LINE".
  if (where.line > 0) text += ':' + std::to_string(where.line);
  if (where.line > 0 && where.column > 0) text += ':' + std::to_string(where.column);
  text += ": error: ";
  if (!key_path.empty()) text += key_path + ": ";
  text += message;
  return text;
}

}  // namespace

ResourceLimitError::ResourceLimitError(const std::string& file, const std::string& message)
    : std::runtime_error(format_input_error(SourcePosition{file, 0, 0}, "", message)) {}

InputError::InputError(SourcePosition where, std::string key_path, std::string message)
    : std::runtime_error(format_input_error(where, key_path, message)),
      where_(std::move(where)),
      key_path_(std::move(key_path)),
      message_(std::move(message)) {}

}  // namespace tokencast
