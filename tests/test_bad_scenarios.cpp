// Runs the real binary on every tests/bad_scenarios/*.toml. Each file's first line says what must
// happen: "# expect: LINE:COL: KEY.PATH: FRAGMENT"; the run must exit 2, print
// "NAME.toml:LINE:COL: error: KEY.PATH: ..." containing FRAGMENT, and write no output file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "cli_runner.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;

TEST_CASE("bad scenarios exit 2 with the position and key path, and write nothing", "[cli][bad-input]") {
  const fs::path dir = source_path("tests/bad_scenarios");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 25);

  const fs::path out_dir = fs::temp_directory_path() / "tokencast-bad-out";
  fs::remove_all(out_dir);
  fs::create_directories(out_dir);
  const std::regex expect_line(R"(^# expect: (\d+):(\d+): ([^:]*): (.*)$)");
  for (const auto& file : files) {
    INFO(file.filename().string());
    const std::string text = slurp(file);
    const std::string first_line = text.substr(0, text.find('\n'));
    std::smatch m;
    REQUIRE(std::regex_match(first_line, m, expect_line));
    const fs::path out = out_dir / (file.stem().string() + ".json");
    const CliResult r = run_cli("run " + shell_quote(file.string()) + " --trials 10 --format json --output " +
                                shell_quote(out.string()));
    INFO(r.err);
    CHECK(r.exit_code == 2);
    const std::string where = file.string() + ":" + m[1].str() + ":" + m[2].str() + ": error: " +
                              (m[3].str().empty() ? std::string() : m[3].str() + ": ");
    CHECK(r.err.find(where) != std::string::npos);
    CHECK(r.err.find(m[4].str()) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
  CHECK(fs::is_empty(out_dir));
  fs::remove_all(out_dir);
}
