// libFuzzer target: any bytes as a request log (written to a file, the reader's input) must be read
// or refused with an InputError, under either bad-line policy, and a log that reads must fit or be
// refused with an InputError. Every other exception, crash, leak, hang or sanitizer report is a
// finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "tokencast/catalog.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/log_fit.hpp"
#include "tokencast/request_log.hpp"

namespace {

const std::string& log_path() {
  static const std::string path = "/tmp/tokencast-request-log-fuzz-" + std::to_string(::getpid()) + ".log";
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::FILE* file = std::fopen(log_path().c_str(), "wb");
    if (file == nullptr) return 0;
    std::fwrite(data, 1, size, file);
    std::fclose(file);
  }
  for (const tokencast::BadLinePolicy policy : {tokencast::BadLinePolicy::fail, tokencast::BadLinePolicy::skip}) {
    tokencast::RequestLogOptions options;
    options.on_bad_line = policy;
    options.tag = "team";
    try {
      std::size_t requests = 0;
      (void)tokencast::for_each_logged_request(log_path(), options,
                                               [&](const tokencast::LoggedRequest&) { ++requests; });
    } catch (const tokencast::InputError&) {
    }
  }
  tokencast::FitOptions fit;
  fit.log.on_bad_line = tokencast::BadLinePolicy::skip;
  fit.model = "meta-llama/Llama-3.3-70B-Instruct-Turbo";
  fit.bootstrap_resamples = 20;
  try {
    (void)tokencast::fit_logs({log_path()}, fit, tokencast::builtin_catalog());
  } catch (const tokencast::InputError&) {
  }
  return 0;
}
