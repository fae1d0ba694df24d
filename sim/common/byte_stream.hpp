#pragma once
// Plain binary records for a shard's results (work units, partial result files): numbers as their
// little-endian bytes, so a double read back is the double written, bit for bit.
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tokencast::detail {

static_assert(std::endian::native == std::endian::little, "partial results are written in little-endian order");

class ByteWriter {
 public:
  template <class T>
    requires std::is_trivially_copyable_v<T>
  void put(const T& value) {
    const auto* p = reinterpret_cast<const char*>(&value);
    bytes_.append(p, sizeof(T));
  }
  void put_string(std::string_view s) {
    put<std::uint64_t>(s.size());
    bytes_.append(s);
  }
  template <class T>
    requires std::is_trivially_copyable_v<T>
  void put_vector(const std::vector<T>& v) {
    put<std::uint64_t>(v.size());
    if (!v.empty()) bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void put_optional(const std::optional<double>& v) {
    put<std::uint8_t>(v ? 1 : 0);
    put<double>(v.value_or(0.0));
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Throws std::runtime_error when a read passes the end: a record shorter than its layout says.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  template <class T>
    requires std::is_trivially_copyable_v<T>
  T get() {
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  std::string get_string() {
    const auto size = get<std::uint64_t>();
    const char* p = take(size);
    return std::string(p, size);
  }
  template <class T>
    requires std::is_trivially_copyable_v<T>
  std::vector<T> get_vector() {
    const auto size = get<std::uint64_t>();
    if (size > (bytes_.size() - at_) / sizeof(T)) throw std::runtime_error("a record ends early");
    std::vector<T> v(size);
    const char* p = take(size * sizeof(T));
    if (size > 0) std::memcpy(v.data(), p, size * sizeof(T));
    return v;
  }
  std::optional<double> get_optional() {
    const bool has = get<std::uint8_t>() != 0;
    const double v = get<double>();
    return has ? std::optional<double>(v) : std::nullopt;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  const char* take(std::size_t n) {
    if (n > bytes_.size() - at_) throw std::runtime_error("a record ends early");
    const char* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  std::string_view bytes_;
  std::size_t at_ = 0;
};

// Reads a whole record with read(reader): std::runtime_error when it ends early or has bytes left.
template <class Read>
void read_record(std::string_view bytes, Read read) {
  ByteReader reader(bytes);
  read(reader);
  if (!reader.done()) throw std::runtime_error("bytes after the record");
}

}  // namespace tokencast::detail
