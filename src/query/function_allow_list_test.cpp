#include "query/function_allow_list.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "base/text.h"

namespace contactsync::query {
namespace {

constexpr Dialect kAllDialects[] = {Dialect::kMySql, Dialect::kPostgreSql, Dialect::kSqlite};

TEST(FunctionAllowListTest, NoAllowedFunctionIsOnTheNeverList) {
  for (const Dialect dialect : kAllDialects) {
    std::set<std::string_view> seen;
    for (const std::string_view name : AllowedBuiltinFunctions(dialect)) {
      EXPECT_FALSE(IsNeverAllowedFunction(name)) << DialectName(dialect) << ": " << name;
      EXPECT_TRUE(IsAllowedBuiltinFunction(dialect, name)) << name;
      EXPECT_EQ(std::string(name), base::AsciiLower(name)) << "lower case only: " << name;
      seen.insert(name);
    }
    EXPECT_GT(seen.size(), 60u) << DialectName(dialect);
  }
}

TEST(FunctionAllowListTest, EveryFamilyOfIssue11IsNeverAllowed) {
  for (const char* name : {"ts_stat",
                           "ts_rewrite",
                           "query_to_xml",
                           "query_to_xml_and_xmlschema",
                           "cursor_to_xml",
                           "table_to_xml",
                           "crosstab",
                           "crosstab2",
                           "connectby",
                           "dblink",
                           "dblink_exec",
                           "dblink_connect",
                           "pg_read_file",
                           "pg_read_binary_file",
                           "pg_ls_dir",
                           "pg_stat_file",
                           "pg_file_write",
                           "lo_import",
                           "LO_EXPORT",
                           "lo_from_bytea",
                           "pg_sleep",
                           "pg_sleep_for",
                           "pg_advisory_lock",
                           "pg_try_advisory_xact_lock",
                           "pg_terminate_backend",
                           "pg_cancel_backend",
                           "pg_reload_conf",
                           "pg_rotate_logfile",
                           "pg_log_backend_memory_contexts",
                           "pg_switch_wal",
                           "pg_create_physical_replication_slot",
                           "pg_create_restore_point",
                           "pg_drop_replication_slot",
                           "pg_copy_physical_replication_slot",
                           "pg_copy_logical_replication_slot",
                           "pg_replication_origin_create",
                           "pg_logical_emit_message",
                           "pg_wal_replay_pause",
                           "pg_backup_start",
                           "pg_stat_reset",
                           "pg_stat_get_activity",
                           "set_config",
                           "current_setting",
                           "nextval",
                           "setval",
                           "currval",
                           "lastval",
                           "txid_current",
                           "pg_current_xact_id",
                           "brin_summarize_new_values",
                           "brin_summarize_range",
                           "brin_desummarize_range",
                           "gin_clean_pending_list",
                           "pg_notify",
                           "load_file",
                           "Sleep",
                           "benchmark",
                           "get_lock",
                           "release_lock",
                           "is_free_lock",
                           "master_pos_wait",
                           "last_insert_id",
                           "load_extension",
                           "fts3_tokenizer",
                           "readfile",
                           "writefile",
                           "sys_exec"}) {
    EXPECT_TRUE(IsNeverAllowedFunction(name)) << name;
    for (const Dialect dialect : kAllDialects) {
      EXPECT_FALSE(IsAllowedBuiltinFunction(dialect, name)) << DialectName(dialect) << ": " << name;
    }
  }
}

TEST(FunctionAllowListTest, OrdinaryBuiltinsAreAllowedPerDialect) {
  for (const Dialect dialect : kAllDialects) {
    for (const char* name : {"lower", "UPPER", "replace", "count", "max", "row_number", "abs"}) {
      EXPECT_TRUE(IsAllowedBuiltinFunction(dialect, name)) << DialectName(dialect) << ": " << name;
    }
    for (const char* name : {"cs_probe", "lo", "version", "random", "uuid", "user"}) {
      EXPECT_FALSE(IsAllowedBuiltinFunction(dialect, name)) << DialectName(dialect) << ": " << name;
    }
  }
  EXPECT_TRUE(IsAllowedBuiltinFunction(Dialect::kMySql, "json_extract"));
  EXPECT_TRUE(IsAllowedBuiltinFunction(Dialect::kPostgreSql, "jsonb_path_query"));
  EXPECT_TRUE(IsAllowedBuiltinFunction(Dialect::kSqlite, "json_each"));
  // Dialect-specific: SQLite has no DATE_FORMAT, MySQL no date_trunc.
  EXPECT_FALSE(IsAllowedBuiltinFunction(Dialect::kSqlite, "date_format"));
  EXPECT_FALSE(IsAllowedBuiltinFunction(Dialect::kMySql, "date_trunc"));
  // Not names that merely start like an allowed one.
  EXPECT_FALSE(IsAllowedBuiltinFunction(Dialect::kPostgreSql, "lower_evil"));
}

TEST(FunctionAllowListTest, PostgresTypesAndOperators) {
  for (const char* type : {"int4", "text", "varchar", "numeric", "timestamptz", "date", "jsonb"}) {
    EXPECT_TRUE(IsAllowedPostgresType(type)) << type;
  }
  for (const char* type : {"regclass", "regproc", "oid", "pg_lsn", "xml", "citext", "tsvector"}) {
    EXPECT_FALSE(IsAllowedPostgresType(type)) << type;
  }
  for (const char* op : {"=", "<>", "||", "->>", "~~*", "@>", "NOT BETWEEN"}) {
    EXPECT_TRUE(IsAllowedPostgresOperator(op)) << op;
  }
  for (const char* op : {"===", "<~>", "%%", "##", "between"}) {
    EXPECT_FALSE(IsAllowedPostgresOperator(op)) << op;
  }
}

}  // namespace
}  // namespace contactsync::query
