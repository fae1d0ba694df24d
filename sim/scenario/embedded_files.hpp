#pragma once
// Text files compiled into the binary (the default scenario, the price catalog).
#include <span>
#include <string_view>

namespace tokencast {

struct EmbeddedFile {
  std::string_view name;      // "quickstart.toml", "catalog/together-serverless.toml"
  std::string_view contents;
};

std::span<const EmbeddedFile> embedded_files();

}  // namespace tokencast
