// Issue 11: a MariaDB server whose defaults lex SQL differently from contactsync's custom-query
// checker — double quotes as identifiers (ANSI_QUOTES, MSSQL), no backslash escapes, and a GBK
// character set that the server keeps even when the client asks for another in the handshake —
// still gives contactsync sessions with the fixed sql_mode and utf8mb4, for the connector's
// session and for a reader's own. On a private server set (scripts/test-servers.sh with
// CONTACTSYNC_TEST_MARIADB_ARGS): the shared servers' global settings are never changed.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "source/mysql/mysql_source.h"
#include "source/mysql/session.h"
#include "source/testing/private_servers.h"

namespace contactsync::source::mysql {
namespace {

constexpr const char* kOddServer =
    "--sql-mode=MSSQL,ANSI_QUOTES,NO_BACKSLASH_ESCAPES --character-set-server=gbk "
    "--collation-server=gbk_chinese_ci --skip-character-set-client-handshake";

class OddMariaDbTest : public server_testing::PrivateServersTest {
 protected:
  void SetUp() override {
    setenv("CONTACTSYNC_TEST_MARIADB_ARGS", kOddServer, 1);
    PrivateServersTest::SetUp();
    unsetenv("CONTACTSYNC_TEST_MARIADB_ARGS");
  }
};

std::vector<Row> ReadAll(SourceConnector& source, std::string_view sql) {
  std::vector<Row> rows;
  auto reader = source.OpenReader(sql, {}, ReadOptions{});
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return rows;
  Batch batch;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    if (!state.ok()) return rows;
    for (Row& row : batch.rows) rows.push_back(std::move(row));
    if (*state == ReadState::kFinished) return rows;
  }
}

TEST_F(OddMariaDbTest, SessionsGetTheFixedSqlModeAndUtf8mb4) {
  for (const char* prefix : {"CONTACTSYNC_TEST_MARIADB_", "CONTACTSYNC_TEST_MARIADB_READER_"}) {
    SCOPED_TRACE(prefix);
    auto source = OpenMySqlSource(Account(prefix, SourceType::kMySql));
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    // The connector's own session (Check runs its catalog queries on it).
    ASSERT_TRUE((*source)->Check().ok());
    // A reader's session: settings as fixed, and the text lexed as the checker lexes it.
    const std::vector<Row> settings =
        ReadAll(**source,
                "SELECT @@session.sql_mode, @@session.character_set_client, "
                "@@session.character_set_connection, @@session.character_set_results");
    ASSERT_EQ(settings.size(), 1u);
    EXPECT_EQ(settings[0], (Row{Value::Text(kSessionSqlMode), Value::Text("utf8mb4"),
                                Value::Text("utf8mb4"), Value::Text("utf8mb4")}));
    // "x" is a string (not a column), '\'' holds a quote (the backslash escapes it), and the
    // UTF-8 bytes of 中 arrive as sent (a GBK session would have read them as other characters).
    const std::vector<Row> lexed =
        ReadAll(**source, "SELECT \"x\" AS a, 'it\\'s' AS b, '中文' AS c, '中\\'' AS d");
    ASSERT_EQ(lexed.size(), 1u);
    EXPECT_EQ(lexed[0], (Row{Value::Text("x"), Value::Text("it's"), Value::Text("中文"),
                             Value::Text("中'")}));
    // DescribeQuery prepares on the connector's session: the same lexing there.
    auto columns = (*source)->DescribeQuery("SELECT \"x\" AS a, 'it\\'s' AS b");
    ASSERT_TRUE(columns.ok()) << columns.status().ToString();
    EXPECT_EQ(columns->size(), 2u);
  }
}

}  // namespace
}  // namespace contactsync::source::mysql
