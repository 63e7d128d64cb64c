// generate_contacts: writes N realistic, deterministic contact rows as a TSV file for the
// source benchmarks (bench/load.sh loads it into MariaDB, PostgreSQL and SQLite).
//
//   generate_contacts --rows N [--seed S] --out FILE
//   generate_contacts --rows N [--seed S] --change-percent P [--seed2 S2] --out FILE
//
// Columns, in order, no header line:
//   id, email, first_name, last_name, city, phone, company, created_at, updated_at,
//   note (text), score (number), birthday (date)
// Times are ISO 8601 "YYYY-MM-DD HH:MM:SS" (UTC), dates "YYYY-MM-DD". A missing score or
// birthday is written as \N, which MariaDB's LOAD DATA and PostgreSQL's COPY read as NULL
// (load.sh turns it into NULL for SQLite). No field contains a tab, newline, backslash or
// double quote, so the same file loads unchanged into all three databases.
//
// Emails: about 1% blank, about 1% invalid (several kinds of mistakes), about 5% in mixed case,
// and about 0.1% exact copies of an earlier row's address (duplicates for the sync to report).
//
// Row i depends only on (seed, i), never on N: the first 100k rows of a 1M file are the 100k
// file. With --change-percent P, a deterministic P% of rows (chosen by seed2) get a new city,
// phone, score and note and a later updated_at; every other byte of the file stays the same.
// That is the input of the "re-sync with 1% changed" benchmark.
//
// Written by hand rather than with a data-faking library: the project takes no new dependency
// for a benchmark, and a fixed generator keeps the figures comparable across versions.

#include <array>
#include <charconv>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace {

// splitmix64: tiny, fast and good enough to make realistic-looking data; the point is that
// the same (seed, row) always gives the same bytes on every machine and compiler.
class Rng {
 public:
  explicit Rng(uint64_t state) : state_(state) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); the modulo bias is irrelevant for test data.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // True with probability per_mille / 1000.
  bool PerMille(uint64_t per_mille) { return Below(1000) < per_mille; }
  template <typename T, size_t kN>
  const T& Pick(const std::array<T, kN>& items) {
    return items[Below(kN)];
  }

 private:
  uint64_t state_;
};

uint64_t RowSeed(uint64_t seed, uint64_t row, uint64_t stream) {
  Rng mix(seed ^ (row * 0xD1B54A32D192ED03ULL) ^ (stream * 0xA24BAED4963EE407ULL));
  mix.Next();
  return mix.Next();
}

constexpr std::array<std::string_view, 64> kFirstNames = {
    "James",   "Mary",     "John",     "Patricia", "Robert",  "Jennifer", "Michael", "Linda",
    "David",   "Elena",    "William",  "Barbara",  "Richard", "Susan",    "Joseph",  "Jessica",
    "Thomas",  "Sarah",    "Charles",  "Karen",    "Daniel",  "Nancy",    "Matthew", "Lisa",
    "Anthony", "Betty",    "Mark",     "Margaret", "Donald",  "Sandra",   "Steven",  "Ashley",
    "Paul",    "Kimberly", "Andrew",   "Emily",    "Joshua",  "Donna",    "Kenneth", "Michelle",
    "Kevin",   "Carol",    "Brian",    "Amanda",   "George",  "Melissa",  "Timothy", "Deborah",
    "José",    "Zoë",      "François", "Søren",    "Łukasz",  "Renée",    "Jürgen",  "Ana",
    "Mei",     "Hiroshi",  "Priya",    "Olumide",  "Chloé",   "Mateo",    "Aylin",   "Nguyen"};

constexpr std::array<std::string_view, 64> kLastNames = {
    "Smith",    "Johnson",   "Williams", "Brown",     "Jones",      "Garcia",   "Miller",
    "Davis",    "Rodriguez", "Martinez", "Hernandez", "Lopez",      "Gonzalez", "Wilson",
    "Anderson", "Thomas",    "Taylor",   "Moore",     "Jackson",    "Martin",   "Lee",
    "Perez",    "Thompson",  "White",    "Harris",    "Sanchez",    "Clark",    "Ramirez",
    "Lewis",    "Robinson",  "Walker",   "Young",     "Allen",      "King",     "Wright",
    "Scott",    "Torres",    "Nguyen",   "Hill",      "Flores",     "Green",    "Adams",
    "Nelson",   "Baker",     "Hall",     "Rivera",    "Campbell",   "Mitchell", "Carter",
    "Müller",   "Schröder",  "Dubois",   "Løvgren",   "Kowalczyk",  "O'Brien",  "García",
    "Yamamoto", "Patel",     "Okafor",   "Van Dijk",  "De la Cruz", "Öztürk",   "Nowak",
    "Rossi"};

constexpr std::array<std::string_view, 40> kCities = {
    "London",    "Paris",     "Berlin",    "Madrid",   "Rome",      "Amsterdam", "Vienna",
    "Zürich",    "München",   "København", "Kraków",   "São Paulo", "Montréal",  "New York",
    "Chicago",   "Houston",   "Phoenix",   "Seattle",  "Boston",    "Denver",    "Toronto",
    "Vancouver", "Sydney",    "Melbourne", "Auckland", "Tokyo",     "Osaka",     "Seoul",
    "Singapore", "Mumbai",    "Bengaluru", "Lagos",    "Nairobi",   "Cape Town", "Dublin",
    "Lisbon",    "Stockholm", "Oslo",      "Helsinki", "Reykjavík"};

constexpr std::array<std::string_view, 16> kDomains = {
    "example.com", "example.org",    "mail.example.net", "example.co.uk",
    "example.de",  "example.fr",     "corp.example",     "example.io",
    "example.es",  "example.it",     "example.nl",       "example.se",
    "example.jp",  "example.com.au", "example.ca",       "xn--bcher-kva.example"};

constexpr std::array<std::string_view, 12> kCompanySuffixes = {
    "Ltd",   "GmbH",     "Inc.", "LLC", "S.A.", "& Sons",
    "Group", "Partners", "AG",   "BV",  "Co.",  "Holdings"};

constexpr std::array<std::string_view, 12> kNoteWords = {
    "met at the trade fair",   "prefers email",       "asked for a quote",
    "newsletter signup",       "call back in spring", "VIP customer",
    "referred by a colleague", "webinar attendee",    "unsubscribed once, came back",
    "interested in pricing",   "früher Kunde",        "売上担当"};

// Mistakes people make when typing addresses; each is refused by model::ValidateEmail.
constexpr std::array<std::string_view, 8> kInvalidEmails = {
    "ann@@example.com",  "no-at-sign.example.com", "bob@localhost",    "a..b@example.com",
    "carl @example.com", "dora@example",           "josé@example.com", "Ed <ed@example.com>"};

void AppendLower(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 'A' && u <= 'Z') {
      out.push_back(static_cast<char>(u - 'A' + 'a'));
    } else if (u < 0x80 && ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9'))) {
      out.push_back(c);
    }
    // Non-ASCII letters, spaces and apostrophes are dropped from the local part.
  }
}

void AppendInt(std::string& out, uint64_t value, int width = 0) {
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  (void)ec;
  for (int pad = width - static_cast<int>(end - buffer); pad > 0; --pad) out.push_back('0');
  out.append(buffer, end);
}

// Seconds since 1970-01-01 to "YYYY-MM-DD HH:MM:SS" (UTC), without the locale or time zone
// machinery of <ctime> (the generator writes two dates per row).
void AppendTime(std::string& out, int64_t seconds, bool with_time = true) {
  const int64_t days = seconds / 86400;
  const int64_t rest = seconds % 86400;
  const auto [y, m, d] = contactsync::base::CivilFromDays(days);
  AppendInt(out, static_cast<uint64_t>(y), 4);
  out.push_back('-');
  AppendInt(out, static_cast<uint64_t>(m), 2);
  out.push_back('-');
  AppendInt(out, static_cast<uint64_t>(d), 2);
  if (!with_time) return;
  out.push_back(' ');
  AppendInt(out, static_cast<uint64_t>(rest / 3600), 2);
  out.push_back(':');
  AppendInt(out, static_cast<uint64_t>(rest / 60 % 60), 2);
  out.push_back(':');
  AppendInt(out, static_cast<uint64_t>(rest % 60), 2);
}

constexpr int64_t kYear2015 = 1420070400;  // 2015-01-01 00:00:00 UTC
constexpr int64_t kTenYears = 315532800;
constexpr int64_t kYear1940 = -946771200;  // 1940-01-01
constexpr int64_t kSixtyYears = 1893456000;

struct Names {
  std::string_view first;
  std::string_view last;
};

Names NamesOf(uint64_t seed, uint64_t id) {
  Rng rng(RowSeed(seed, id, 1));
  return {rng.Pick(kFirstNames), rng.Pick(kLastNames)};
}

// The valid address of row `id` (before case changes), a function of (seed, id) alone so that
// a duplicate can copy an earlier row's address without keeping it.
void AppendValidEmail(std::string& out, uint64_t seed, uint64_t id) {
  const Names names = NamesOf(seed, id);
  Rng rng(RowSeed(seed, id, 2));
  AppendLower(out, names.first);
  out.push_back(rng.PerMille(500) ? '.' : '_');
  AppendLower(out, names.last);
  AppendInt(out, id);  // unique per row
  out.push_back('@');
  out.append(rng.Pick(kDomains));
}

enum class EmailKind { kValid, kMixedCase, kBlank, kInvalid, kDuplicate };

EmailKind EmailKindOf(uint64_t seed, uint64_t id) {
  Rng rng(RowSeed(seed, id, 3));
  const uint64_t roll = rng.Below(1000);
  if (roll < 10) return EmailKind::kBlank;
  if (roll < 20) return EmailKind::kInvalid;
  if (roll < 21 && id > 1) return EmailKind::kDuplicate;
  if (roll < 71) return EmailKind::kMixedCase;
  return EmailKind::kValid;
}

void AppendMixedCase(std::string& out, size_t from, Rng& rng) {
  for (size_t i = from; i < out.size(); ++i) {
    const char c = out[i];
    if (c >= 'a' && c <= 'z' && (i == from || rng.PerMille(150))) {
      out[i] = static_cast<char>(c - 'a' + 'A');
    }
  }
}

void AppendEmail(std::string& out, uint64_t seed, uint64_t id) {
  Rng rng(RowSeed(seed, id, 4));
  const size_t start = out.size();
  switch (EmailKindOf(seed, id)) {
    case EmailKind::kBlank:
      return;
    case EmailKind::kInvalid:
      out.append(rng.Pick(kInvalidEmails));
      return;
    case EmailKind::kDuplicate: {
      // An exact copy of an earlier row's address (the earlier row's own kind decides how it
      // looks; that may be blank or invalid too, as in real exports).
      const uint64_t earlier = 1 + rng.Below(id - 1);
      if (EmailKindOf(seed, earlier) == EmailKind::kDuplicate) {
        AppendValidEmail(out, seed, earlier);
      } else {
        AppendEmail(out, seed, earlier);
      }
      return;
    }
    case EmailKind::kMixedCase:
      AppendValidEmail(out, seed, id);
      AppendMixedCase(out, start, rng);
      return;
    case EmailKind::kValid:
      AppendValidEmail(out, seed, id);
      return;
  }
}

void AppendPhone(std::string& out, Rng& rng) {
  switch (rng.Below(3)) {
    case 0:
      out.append("+44 20 ");
      AppendInt(out, rng.Below(10000), 4);
      out.push_back(' ');
      AppendInt(out, rng.Below(10000), 4);
      break;
    case 1:
      out.append("(");
      AppendInt(out, 200 + rng.Below(800), 3);
      out.append(") 555-");
      AppendInt(out, rng.Below(10000), 4);
      break;
    default:
      out.append("+49 30 ");
      AppendInt(out, rng.Below(100000000), 8);
      break;
  }
}

void AppendScore(std::string& out, Rng& rng) {
  if (rng.PerMille(50)) {
    out.append("\\N");
    return;
  }
  AppendInt(out, rng.Below(1000));
  out.push_back('.');
  AppendInt(out, rng.Below(100), 2);
}

struct Options {
  uint64_t rows = 0;
  uint64_t seed = 1;
  double change_percent = -1;  // < 0: no change mode
  uint64_t seed2 = 2;
  std::string out;
};

// Appends row `id` (without the newline). `changed` gives the row its "edited later" values.
void AppendRow(std::string& out, const Options& options, uint64_t id, bool changed) {
  const uint64_t seed = options.seed;
  const Names names = NamesOf(seed, id);
  Rng rng(RowSeed(seed, id, 5));
  Rng edit(RowSeed(options.seed2, id, 6));
  Rng& varying = changed ? edit : rng;

  AppendInt(out, id);
  out.push_back('\t');
  AppendEmail(out, seed, id);
  out.push_back('\t');
  out.append(names.first);
  out.push_back('\t');
  out.append(names.last);
  out.push_back('\t');
  // Draw from `rng` whether or not the row changed, so unchanged columns stay identical.
  const std::string_view city = rng.Pick(kCities);
  out.append(changed ? edit.Pick(kCities) : city);
  out.push_back('\t');
  {
    std::string phone;
    AppendPhone(phone, rng);
    if (changed) {
      phone.clear();
      AppendPhone(phone, edit);
    }
    out.append(phone);
  }
  out.push_back('\t');
  out.append(rng.Pick(kLastNames));
  out.push_back(' ');
  out.append(rng.Pick(kCompanySuffixes));
  out.push_back('\t');
  const int64_t created = kYear2015 + static_cast<int64_t>(rng.Below(kTenYears));
  const int64_t updated = created + static_cast<int64_t>(rng.Below(86400 * 365));
  AppendTime(out, created);
  out.push_back('\t');
  AppendTime(out,
             changed ? updated + 86400 * 400 + static_cast<int64_t>(edit.Below(86400)) : updated);
  out.push_back('\t');
  {
    Rng note_rng(RowSeed(seed, id, 7));
    const uint64_t words = 1 + note_rng.Below(3);
    Rng& words_rng = changed ? varying : note_rng;
    for (uint64_t w = 0; w < words; ++w) {
      if (w > 0) out.append("; ");
      out.append(words_rng.Pick(kNoteWords));
    }
  }
  out.push_back('\t');
  {
    Rng score_rng(RowSeed(seed, id, 8));
    AppendScore(out, changed ? edit : score_rng);
  }
  out.push_back('\t');
  {
    Rng birthday_rng(RowSeed(seed, id, 9));
    if (birthday_rng.PerMille(200)) {
      out.append("\\N");
    } else {
      AppendTime(out, kYear1940 + static_cast<int64_t>(birthday_rng.Below(kSixtyYears)), false);
    }
  }
}

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr,
               "generate_contacts: %s\n"
               "usage: generate_contacts --rows N [--seed S] [--change-percent P [--seed2 S2]] "
               "--out FILE\n",
               message);
  std::exit(2);
}

uint64_t ParseU64(const char* text, const char* flag) {
  uint64_t value = 0;
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end) Usage(flag);
  return value;
}

Options ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) Usage("a flag is missing its value");
    const char* value = argv[++i];
    if (flag == "--rows") {
      options.rows = ParseU64(value, "--rows needs a whole number");
    } else if (flag == "--seed") {
      options.seed = ParseU64(value, "--seed needs a whole number");
    } else if (flag == "--seed2") {
      options.seed2 = ParseU64(value, "--seed2 needs a whole number");
    } else if (flag == "--change-percent") {
      char* end = nullptr;
      options.change_percent = std::strtod(value, &end);
      if (*end != '\0' || options.change_percent < 0 || options.change_percent > 100) {
        Usage("--change-percent needs a number from 0 to 100");
      }
    } else if (flag == "--out") {
      options.out = value;
    } else {
      Usage("unknown flag");
    }
  }
  if (options.rows == 0) Usage("--rows is required and must be positive");
  if (options.out.empty()) Usage("--out is required");
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseArgs(argc, argv);
  std::FILE* file = std::fopen(options.out.c_str(), "wb");
  if (file == nullptr) {
    std::perror(options.out.c_str());
    return 1;
  }
  // Rows are built in one buffer and written in large blocks: about 150 bytes a row, so a
  // million rows take well under a second.
  const uint64_t change_per_million =
      options.change_percent < 0 ? 0 : static_cast<uint64_t>(options.change_percent * 10000);
  std::string buffer;
  buffer.reserve(1 << 20);
  uint64_t changed_rows = 0;
  for (uint64_t id = 1; id <= options.rows; ++id) {
    Rng pick(RowSeed(options.seed2, id, 10));
    const bool changed = pick.Below(1000000) < change_per_million;
    changed_rows += changed ? 1 : 0;
    AppendRow(buffer, options, id, changed);
    buffer.push_back('\n');
    if (buffer.size() >= (1 << 20) - 4096) {
      if (std::fwrite(buffer.data(), 1, buffer.size(), file) != buffer.size()) break;
      buffer.clear();
    }
  }
  const bool written = std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
  if (std::fclose(file) != 0 || !written) {
    std::perror(options.out.c_str());
    return 1;
  }
  std::fprintf(stderr, "generate_contacts: %" PRIu64 " rows (%" PRIu64 " changed) -> %s\n",
               options.rows, changed_rows, options.out.c_str());
  return 0;
}
