#include "sync/demo_source.h"

#include <sqlite3.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

namespace contactsync::sync {
namespace {

// splitmix64: tiny, fast, and the same sequence everywhere (std:: engines'
// distributions are not specified bit for bit across standard libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

constexpr std::array<const char*, 40> kFirstNames{
    "Anna",  "Ben",    "Clara",  "David", "Emma",   "Felix",  "Grace",   "Hugo",
    "Ines",  "Jonas",  "Karin",  "Liam",  "Maria",  "Noah",   "Olivia",  "Paul",
    "Quinn", "Rosa",   "Samuel", "Tina",  "Ulrich", "Vera",   "William", "Xenia",
    "Yusuf", "Zoe",    "Amelie", "Bruno", "Chloé",  "Dmitri", "Elif",    "François",
    "Gül",   "Hannah", "Ivan",   "Jana",  "Kenji",  "Lucía",  "Mateo",   "Nora"};
constexpr std::array<const char*, 32> kLastNames{
    "Smith", "Müller",  "Garcia", "Rossi",    "Dubois", "Kowalski", "Jensen", "Novak",
    "Silva", "Schmidt", "Brown",  "Martin",   "Weber",  "Fischer",  "Lopez",  "Nielsen",
    "Meyer", "Wagner",  "Becker", "Hoffmann", "Klein",  "Wolf",     "Schulz", "Walker",
    "Young", "King",    "Wright", "Hill",     "Green",  "Adams",    "Baker",  "O'Brien"};
constexpr std::array<const char*, 24> kCities{
    "Berlin", "Hamburg",   "München",  "Köln",     "Wien",   "Zürich",    "Paris",   "Lyon",
    "Madrid", "Sevilla",   "Lisboa",   "Roma",     "Milano", "Amsterdam", "Brussel", "København",
    "Oslo",   "Stockholm", "Helsinki", "Warszawa", "Praha",  "Dublin",    "London",  "Edinburgh"};
constexpr std::array<const char*, 8> kDomains{"example.com",  "example.org",  "example.net",
                                              "mail.example", "shop.example", "web.example",
                                              "post.example", "inbox.example"};

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// The ASCII local part people would pick: "anna.smith", "b.mueller42".
std::string LocalPart(Random& random, const std::string& first, const std::string& last) {
  // Non-ASCII letters are left out, as many sign-up forms force people to.
  std::string f;
  for (const char c : Lower(first)) {
    if (static_cast<unsigned char>(c) < 0x80) f += c;
  }
  std::string l;
  for (const char c : Lower(last)) {
    if (c != '\'' && static_cast<unsigned char>(c) < 0x80) l += c;
  }
  switch (random.Below(4)) {
    case 0:
      return f + "." + l;
    case 1:
      return f.substr(0, 1) + "." + l + std::to_string(random.Below(100));
    case 2:
      return f + l.substr(0, 1) + std::to_string(1950 + random.Below(55));
    default:
      return f + "_" + l;
  }
}

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

base::Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return base::Internal(fmt::format("writing the demo database: {}", message));
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<DemoSource> WriteDemoSource(const std::string& path, int customers) {
  DemoSource demo;
  demo.path = path;
  // Which rows are unsubscribed is decided by the generator, so it is the
  // same whether or not the file is written now.
  Random random(20261128);
  struct Customer {
    std::string email;  // may be blank or invalid
    bool email_null = false;
    std::string first, last, city, signup;
    int newsletter = 1;
    int is_test = 0;
  };
  std::vector<Customer> rows;
  rows.reserve(static_cast<size_t>(customers));
  for (int i = 0; i < customers; ++i) {
    Customer c;
    c.first = random.Pick(kFirstNames);
    c.last = random.Pick(kLastNames);
    c.city = random.Pick(kCities);
    c.signup = fmt::format("{:04}-{:02}-{:02}", 2015 + random.Below(11), 1 + random.Below(12),
                           1 + random.Below(28));
    c.newsletter = random.Below(10) < 8 ? 1 : 0;
    c.email = LocalPart(random, c.first, c.last) + "@" + random.Pick(kDomains);
    const size_t dirt = random.Below(100);
    if (dirt == 0) {
      c.email_null = true;
    } else if (dirt == 1) {
      c.email = "";
    } else if (dirt == 2) {
      c.email = c.email.substr(0, c.email.find('@') + 1);  // "anna.smith@"
    } else if (dirt == 3) {
      c.email.replace(c.email.find('@'), 1, " at ");
    } else if (dirt == 4 && !rows.empty()) {
      // The same customer signed up again with a different spelling.
      const Customer& earlier = rows[random.Below(rows.size())];
      if (!earlier.email_null && earlier.email.find('@') != std::string::npos) {
        std::string upper = earlier.email;
        for (size_t k = 0; k < upper.size(); k += 2) {
          if (upper[k] >= 'a' && upper[k] <= 'z') upper[k] = static_cast<char>(upper[k] - 32);
        }
        c.email = upper;
        c.first = earlier.first;
        c.last = earlier.last;
      }
    } else if (dirt == 5) {
      c.is_test = 1;
      c.email = fmt::format("test{}@shop.example", i);
    } else if (dirt >= 96) {
      demo.unsubscribed.push_back(c.email);
    }
    rows.push_back(std::move(c));
  }
  demo.rows = static_cast<int64_t>(rows.size());
  if (std::filesystem::exists(path)) return demo;

  const std::string temporary = path + ".tmp";
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
  {
    Db db;
    if (sqlite3_open(temporary.c_str(), &db.db) != SQLITE_OK) {
      return base::Unavailable(fmt::format("cannot create {}", temporary));
    }
    CS_RETURN_IF_ERROR(Exec(db.db,
                            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, "
                            "first_name TEXT, last_name TEXT, city TEXT, signup_date TEXT, "
                            "newsletter INTEGER NOT NULL, is_test INTEGER NOT NULL); BEGIN"));
    sqlite3_stmt* insert = nullptr;
    if (sqlite3_prepare_v2(db.db,
                           "INSERT INTO customers (email, first_name, last_name, city, "
                           "signup_date, newsletter, is_test) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           -1, &insert, nullptr) != SQLITE_OK) {
      return base::Internal(fmt::format("preparing the demo insert: {}", sqlite3_errmsg(db.db)));
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(insert, sqlite3_finalize);
    for (const Customer& c : rows) {
      sqlite3_reset(insert);
      if (c.email_null) {
        sqlite3_bind_null(insert, 1);
      } else {
        sqlite3_bind_text(insert, 1, c.email.data(), static_cast<int>(c.email.size()),
                          SQLITE_TRANSIENT);
      }
      const std::array<const std::string*, 4> texts{&c.first, &c.last, &c.city, &c.signup};
      for (int k = 0; k < 4; ++k) {
        sqlite3_bind_text(insert, k + 2, texts[k]->data(), static_cast<int>(texts[k]->size()),
                          SQLITE_TRANSIENT);
      }
      sqlite3_bind_int(insert, 6, c.newsletter);
      sqlite3_bind_int(insert, 7, c.is_test);
      if (sqlite3_step(insert) != SQLITE_DONE) {
        return base::Internal(fmt::format("writing the demo database: {}", sqlite3_errmsg(db.db)));
      }
    }
    CS_RETURN_IF_ERROR(Exec(db.db, "COMMIT"));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    return base::Unavailable(fmt::format("cannot create {}: {}", path, error.message()));
  }
  return demo;
}

}  // namespace contactsync::sync
