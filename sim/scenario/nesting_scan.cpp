#include "nesting_scan.hpp"

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tokencast/errors.hpp"

namespace tokencast::loader {
namespace {

// Bytes of non-ASCII characters count as key characters too (TOML 1.1 allows them in bare keys),
// so that depth is never underestimated.
bool is_bare_key_char(char c) {
  return (static_cast<unsigned char>(c) & 0x80) != 0 || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Walks the text once, tracking strings and comments exactly as TOML defines them (a scanner that
// mistook a bracket inside a string, or missed one outside, could let a deep document through),
// and counting a level for each key part and each inline array or table.
class NestingScanner {
 public:
  NestingScanner(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  void run() {
    if (at("\xEF\xBB\xBF")) pos_ += 3;  // a UTF-8 byte order mark, which TOML++ skips
    start_statement();
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '#') {
        skip_comment();
      } else if (c == '\n') {
        advance();
        if (levels_.empty()) start_statement();
      } else if (c == ' ' || c == '\t' || c == '\r') {
        advance();
      } else if (expecting_key_) {
        key_char(c);
      } else {
        value_char(c);
      }
    }
  }

 private:
  // An open inline array or table: the depth and path length just before it.
  struct Level {
    char bracket;
    int depth;
    std::size_t path_size;
    std::size_t index;
  };

  struct Position {
    int line;
    int column;
  };
  Position position() const { return {line_, column_}; }

  void start_statement() {
    expecting_key_ = true;
    line_fresh_ = true;
    depth_ = section_depth_;
    path_ = section_path_;
  }

  void key_char(char c) {
    if (c == '[' && levels_.empty() && line_fresh_) {
      read_header();
    } else if (c == '=') {
      expecting_key_ = false;
      advance();
    } else if (c == '.') {
      advance();
    } else if (c == '"' || c == '\'') {
      const Position at = position();
      add_part(read_string(), 1, at);
    } else if (is_bare_key_char(c)) {
      const Position at = position();
      const std::size_t start = pos_;
      while (pos_ < text_.size() && is_bare_key_char(text_[pos_])) advance();
      add_part(text_.substr(start, pos_ - start), 1, at);
    } else {
      // Not a key: TOML++ reports it. Scanning goes on as in a value, where brackets still count.
      expecting_key_ = false;
    }
    line_fresh_ = false;
  }

  void value_char(char c) {
    if (c == '"' || c == '\'') {
      read_string();
    } else if (c == '{' || c == '[') {
      const Position at = position();
      levels_.push_back(Level{c, depth_, path_.size(), 0});
      if (c == '[') path_ += "[0]";
      enter_level(at);
      expecting_key_ = c == '{';
      advance();
    } else if (c == ',' && !levels_.empty()) {
      Level& level = levels_.back();
      depth_ = level.depth + 1;
      path_.resize(level.path_size);
      if (level.bracket == '[') path_ += fmt::format("[{}]", ++level.index);
      expecting_key_ = level.bracket == '{';
      advance();
    } else if ((c == '}' || c == ']') && !levels_.empty()) {
      depth_ = levels_.back().depth;
      path_.resize(levels_.back().path_size);
      levels_.pop_back();
      expecting_key_ = false;
      advance();
    } else {
      advance();  // numbers, dates, booleans: nothing nests there
    }
  }

  // [a.b] or [[a.b]]: the section every following statement is nested in. Arrays of tables get
  // their element index, as the loader writes key paths ("workload[1].traffic").
  void read_header() {
    advance();
    const bool array = pos_ < text_.size() && text_[pos_] == '[';
    if (array) advance();
    std::vector<std::pair<std::string, Position>> parts;
    while (pos_ < text_.size() && text_[pos_] != ']' && text_[pos_] != '\n') {
      const char c = text_[pos_];
      const Position at = position();
      if (c == '"' || c == '\'') {
        parts.emplace_back(read_string(), at);
      } else if (is_bare_key_char(c)) {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && is_bare_key_char(text_[pos_])) advance();
        parts.emplace_back(std::string(text_.substr(start, pos_ - start)), at);
      } else {
        advance();  // dots, blanks and anything TOML++ will refuse
      }
    }
    depth_ = 0;
    path_.clear();
    std::string raw;  // the parts as written, naming arrays of tables
    for (std::size_t i = 0; i < parts.size(); ++i) {
      raw += i == 0 ? parts[i].first : "." + parts[i].first;
      add_part(parts[i].first, 2, parts[i].second);
      const bool last = i + 1 == parts.size();
      if (last && array) {
        path_ += fmt::format("[{}]", array_counts_[raw]++);
      } else if (const auto it = array_counts_.find(raw); it != array_counts_.end()) {
        path_ += fmt::format("[{}]", it->second - 1);
      }
    }
    section_depth_ = depth_;
    section_path_ = path_;
    expecting_key_ = true;
    line_fresh_ = false;
    while (pos_ < text_.size() && text_[pos_] == ']') advance();
  }

  void add_part(std::string_view name, int levels, Position at) {
    if (!path_.empty()) path_ += '.';
    path_ += name;
    depth_ += levels;
    if (depth_ > max_toml_nesting) fail(at);
  }

  void enter_level(Position at) {
    depth_ += 1;
    if (depth_ > max_toml_nesting) fail(at);
  }

  [[noreturn]] void fail(Position at) const {
    throw InputError(SourcePosition{std::string(file_), at.line, at.column}, path_,
                     fmt::format("keys, tables and arrays nested deeper than {} levels",
                                 max_toml_nesting));
  }

  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(text_[pos_]) & 0xC0) != 0x80) {
      ++column_;  // columns count characters, as TOML++ does, not UTF-8 continuation bytes
    }
    ++pos_;
  }

  bool at(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

  void skip_comment() {
    while (pos_ < text_.size() && text_[pos_] != '\n') advance();
  }

  // Reads a basic, literal or multi-line string starting at pos_ and returns its raw text. An
  // unterminated single-line string ends at the line's end, where TOML++ stops too.
  std::string read_string() {
    const char quote = text_[pos_];
    const bool basic = quote == '"';
    const std::string_view triple = basic ? "\"\"\"" : "'''";
    if (at(triple)) {
      for (int i = 0; i < 3; ++i) advance();
      const std::size_t start = pos_;
      while (pos_ < text_.size() && !at(triple)) {
        if (basic && text_[pos_] == '\\' && pos_ + 1 < text_.size()) advance();
        advance();
      }
      std::string content(text_.substr(start, pos_ - start));
      // A closing delimiter may be preceded by up to two quotes of content: """a""""" is a"".
      for (int i = 0; i < 5 && pos_ < text_.size() && text_[pos_] == quote; ++i) advance();
      return content;
    }
    advance();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote && text_[pos_] != '\n') {
      if (basic && text_[pos_] == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
        advance();
      }
      advance();
    }
    std::string content(text_.substr(start, pos_ - start));
    if (pos_ < text_.size() && text_[pos_] == quote) advance();
    return content;
  }

  std::string_view text_;
  std::string_view file_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  bool expecting_key_ = true;
  bool line_fresh_ = true;
  int depth_ = 0;
  std::string path_;
  int section_depth_ = 0;
  std::string section_path_;
  std::vector<Level> levels_;
  std::map<std::string, std::size_t> array_counts_;
};

}  // namespace

void check_toml_nesting(std::string_view text, std::string_view file_name) {
  NestingScanner(text, file_name).run();
}

}  // namespace tokencast::loader
