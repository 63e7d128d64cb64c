#include "source/sqlite/types.h"

#include <sqlite3.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "source/sqlite/handle.h"

namespace contactsync::source::sqlite {
namespace {

TEST(KindFromDeclaredTypeTest, FollowsSqliteAffinityThenRefines) {
  const std::vector<std::pair<std::string, ValueKind>> cases = {
      {"INTEGER", ValueKind::kInteger},
      {"int", ValueKind::kInteger},
      {"BIGINT UNSIGNED", ValueKind::kInteger},
      {"TINYINT(1)", ValueKind::kInteger},
      {"POINT", ValueKind::kInteger},  // SQLite's rule 1: contains "INT"
      {"TEXT", ValueKind::kText},
      {"VARCHAR(255)", ValueKind::kText},
      {"nchar(10)", ValueKind::kText},
      {"CLOB", ValueKind::kText},
      {"CHARINT", ValueKind::kInteger},  // "INT" wins over "CHAR", as in SQLite
      {"BLOB", ValueKind::kBinary},
      {"", ValueKind::kUnknown},
      {"  ", ValueKind::kUnknown},
      {"REAL", ValueKind::kReal},
      {"DOUBLE PRECISION", ValueKind::kReal},
      {"float", ValueKind::kReal},
      {"NUMERIC", ValueKind::kDecimal},
      {"DECIMAL(10,2)", ValueKind::kDecimal},
      {"MONEY", ValueKind::kDecimal},
      {"BOOLEAN", ValueKind::kBoolean},
      {"bool", ValueKind::kBoolean},
      {"DATE", ValueKind::kDate},
      {"DATETIME", ValueKind::kDateTime},
      {"TIMESTAMP", ValueKind::kDateTime},
      {"TIMESTAMP WITH TIME ZONE", ValueKind::kDateTime},
      {"TIME", ValueKind::kTime},
  };
  for (const auto& [declared, kind] : cases) {
    EXPECT_EQ(KindFromDeclaredType(declared), kind) << declared;
  }
}

TEST(RenderRealTest, ShortestRoundTrip) {
  EXPECT_EQ(RenderReal(0.1), "0.1");
  EXPECT_EQ(RenderReal(12.5), "12.5");
  EXPECT_EQ(RenderReal(-2.5), "-2.5");
  EXPECT_EQ(RenderReal(1e300), "1e+300");
  EXPECT_EQ(RenderReal(3.0), "3");
  EXPECT_EQ(std::stod(RenderReal(1.0 / 3.0)), 1.0 / 3.0);
}

// Each storage class, straight from SQLite literals.
TEST(ReadCellTest, RendersEachStorageClass) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  Database db(raw);
  sqlite3_stmt* raw_stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(),
                               "SELECT NULL, '', 'héllo', 42, -9223372036854775808, 0.5, "
                               "x'0001', x'', CAST(x'c328' AS TEXT), 1e-7",
                               -1, &raw_stmt, nullptr),
            SQLITE_OK);
  Statement stmt(raw_stmt);
  ASSERT_EQ(sqlite3_step(stmt.get()), SQLITE_ROW);
  EXPECT_EQ(ReadCell(stmt.get(), 0), Value::Null());
  EXPECT_EQ(ReadCell(stmt.get(), 1), Value::Text(""));
  EXPECT_EQ(ReadCell(stmt.get(), 2), Value::Text("héllo"));
  EXPECT_EQ(ReadCell(stmt.get(), 3), Value::Text("42"));
  EXPECT_EQ(ReadCell(stmt.get(), 4), Value::Text("-9223372036854775808"));
  EXPECT_EQ(ReadCell(stmt.get(), 5), Value::Text("0.5"));
  EXPECT_EQ(ReadCell(stmt.get(), 6), Value::Binary(std::string("\x00\x01", 2)));
  EXPECT_EQ(ReadCell(stmt.get(), 7), Value::Binary(""));
  EXPECT_EQ(ReadCell(stmt.get(), 8).state(), Value::State::kBadText);  // truncated sequence
  EXPECT_EQ(ReadCell(stmt.get(), 9), Value::Text("1e-07"));
}

TEST(HandleTest, MovesOwnership) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  Database first(raw);
  Database second(std::move(first));
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  EXPECT_EQ(second.get(), raw);
  Database third;
  third = std::move(second);
  EXPECT_EQ(third.get(), raw);
  third.Reset();
  EXPECT_FALSE(third);
}

}  // namespace
}  // namespace contactsync::source::sqlite
