#include "query/custom_query_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace contactsync::query {
namespace {

using ::testing::HasSubstr;

constexpr Dialect kAllDialects[] = {Dialect::kMySql, Dialect::kPostgreSql, Dialect::kSqlite};

// Queries every dialect accepts.
const char* const kAcceptedEverywhere[] = {
    "SELECT email FROM customers",
    "select email, first_name from customers where active = 1",
    "SELECT * FROM customers;",
    "SELECT * FROM customers ;  \n  ",
    "SELECT 1 AS x; -- trailing comment",
    "SELECT 1; /* trailing block comment */",
    "  -- leading comment\n/* and another */ SELECT 1",
    "(SELECT a FROM t)",
    "((SELECT a FROM t) UNION (SELECT a FROM u))",
    "SELECT a FROM t UNION ALL SELECT b FROM u",
    "SELECT a FROM t WHERE id IN (SELECT id FROM u WHERE u.x > 1)",
    "SELECT * FROM (SELECT a FROM t) AS sub",
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "WITH x(a) AS (SELECT 1), y AS (SELECT a FROM x) SELECT * FROM y",
    "WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n",
    "SELECT updated_at, set_name, delete_flag, inserted, into_x, x_into FROM t",
    "SELECT created_by, drop_date, lock_version, call_count, load_id, do_not_mail FROM t",
    "SELECT 'FOR UPDATE', 'DELETE FROM t; DROP TABLE u', 'INTO OUTFILE' FROM t",
    "SELECT a FROM t -- ; DELETE FROM t\n",
    "SELECT a FROM t /* ; DROP TABLE t; INSERT INTO x */",
    "SELECT t.update, t.set, t.delete FROM t",
    "SELECT a FROM t WHERE b = 'x;y' AND c = 'it''s'",
    "SELECT REPLACE(phone, ' ', '') AS phone FROM t",
    "SELECT a FROM t ORDER BY a LIMIT 10",
    "SELECT count(*) FROM t GROUP BY a HAVING count(*) > 1",
    "SELECT SUBSTRING(a FROM 1 FOR 3) FROM t",
    "SELECT lower(email), upper(name), lo, loan_id FROM t",
    "SELECT CASE WHEN a = 1 THEN 'x' ELSE 'y' END AS c FROM t",
    "SELECT sleep_minutes, benchmark_score FROM t",
    "SELECT 1 -- FOR UPDATE",
};

TEST(CustomQueryCheckTest, AcceptsReadOnlySelects) {
  for (const Dialect dialect : kAllDialects) {
    for (const char* sql : kAcceptedEverywhere) {
      const base::Status status = CheckCustomQuery(dialect, sql);
      EXPECT_TRUE(status.ok()) << DialectName(dialect) << ": " << sql << "\n  -> "
                               << status.message();
    }
  }
}

struct DialectCase {
  Dialect dialect;
  std::string sql;
};

TEST(CustomQueryCheckTest, AcceptsDialectSpecificSelects) {
  const DialectCase cases[] = {
      {Dialect::kMySql, "SELECT `update`, `into`, `delete` FROM `insert`"},
      {Dialect::kMySql, "SELECT \"FOR UPDATE\", 'a\\s ; DROP' FROM t"},
      {Dialect::kMySql, "SELECT a FROM t # ; DELETE FROM t"},
      {Dialect::kMySql, "SELECT 1--1"},
      {Dialect::kMySql, "SELECT INSERT(name, 1, 2, 'x'), TRUNCATE(price, 2) FROM t"},
      {Dialect::kMySql, "SELECT CAST(name AS CHAR CHARACTER SET utf8mb4) FROM t"},
      {Dialect::kMySql, "SELECT @into, @@session.sql_mode"},
      {Dialect::kMySql, "SELECT a FROM t /*+ MAX_EXECUTION_TIME(1000) */"},
      {Dialect::kMySql, "SELECT 'C:\\\\path' FROM t"},
      {Dialect::kMySql, "SELECT 'C:\\path' FROM t"},
      {Dialect::kPostgreSql, "SELECT \"update\", \"into\", \"Set\" FROM \"delete\""},
      {Dialect::kPostgreSql, "SELECT $$ ; DELETE FROM t $$, $q$ FOR UPDATE $q$ FROM t"},
      {Dialect::kPostgreSql, "SELECT E'it\\'s' FROM t"},
      {Dialect::kPostgreSql, "SELECT data ? 'k', data->>'x', a::text FROM t"},
      {Dialect::kPostgreSql, "SELECT a FROM t /* nested /* ; DROP TABLE t */ still */"},
      {Dialect::kPostgreSql, "WITH x AS MATERIALIZED (SELECT 1) SELECT * FROM x"},
      {Dialect::kPostgreSql, "WITH x AS (VALUES (1), (2)) SELECT * FROM x"},
      {Dialect::kPostgreSql, "SELECT a FROM t FOR READ ONLY"},
      {Dialect::kPostgreSql, "SELECT pg_catalog.lower(a) FROM public.t"},
      {Dialect::kSqlite, "SELECT [update], `into`, \"delete\" FROM [insert]"},
      {Dialect::kSqlite, "SELECT 'a\\' FROM t"},
      {Dialect::kSqlite, "WITH x AS NOT MATERIALIZED (SELECT 1) SELECT * FROM x"},
      {Dialect::kSqlite, "SELECT edit_count FROM t"},
  };
  for (const auto& c : cases) {
    const base::Status status = CheckCustomQuery(c.dialect, c.sql);
    EXPECT_TRUE(status.ok()) << DialectName(c.dialect) << ": " << c.sql << "\n  -> "
                             << status.message();
  }
}

struct Refused {
  std::string sql;
  std::string message;  // a part of the expected message
};

void ExpectRefused(Dialect dialect, const Refused& c) {
  const base::Status status = CheckCustomQuery(dialect, c.sql);
  ASSERT_FALSE(status.ok()) << DialectName(dialect) << ": " << c.sql;
  EXPECT_EQ(status.code(), base::ErrorCode::kBadQuery) << c.sql;
  EXPECT_THAT(status.message(), HasSubstr(c.message)) << DialectName(dialect) << ": " << c.sql;
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << c.sql;
  EXPECT_TRUE(status.message().starts_with("custom query: ")) << status.message();
}

TEST(CustomQueryCheckTest, RefusesEverywhere) {
  const Refused cases[] = {
      {"", "empty"},
      {"   \n ", "empty"},
      {"-- only a comment", "empty"},
      {";", "empty"},
      {"SELECT 1; DELETE FROM t",
       "only one SELECT statement is allowed; found a second statement at line 1, column 11 "
       "after ';'"},
      {"SELECT 1;\nSELECT 2", "found a second statement at line 2, column 1"},
      {"SELECT 1;;", "only one SELECT statement"},
      {"COMMIT; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; DELETE FROM t",
       "found a second statement"},
      {"DELETE FROM t", "must start with SELECT or WITH; found 'DELETE' at line 1, column 1"},
      {"UPDATE t SET a = 1", "must start with SELECT or WITH"},
      {"INSERT INTO t VALUES (1)", "must start with SELECT or WITH"},
      {"EXPLAIN ANALYZE DELETE FROM t", "must start with SELECT or WITH"},
      {"VALUES (1)", "must start with SELECT or WITH"},
      {"(((", "has no SELECT"},
      {"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
       "the WITH query 'd' must be a SELECT"},
      {"WITH a AS (SELECT 1), d AS (UPDATE t SET x = 1 RETURNING *) SELECT * FROM d",
       "the WITH query 'd' must be a SELECT"},
      {"WITH d AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1", "must be a SELECT"},
      {"WITH x AS (SELECT 1) DELETE FROM t", "WITH must be followed by a SELECT; found 'DELETE'"},
      {"WITH x AS (SELECT 1)", "WITH must be followed by a SELECT; the query ends"},
      {"WITH x SELECT 1", "expected AS"},
      {"WITH x AS SELECT 1", "expected '('"},
      {"WITH x AS (SELECT 1 SELECT 2", "expected ')'"},
      {"SELECT * FROM t FOR UPDATE", "'FOR UPDATE' at line 1, column 17"},
      {"SELECT * FROM t FOR SHARE", "'FOR SHARE'"},
      {"SELECT * FROM t FOR NO KEY UPDATE", "'FOR NO KEY UPDATE'"},
      {"SELECT * FROM t FOR KEY SHARE", "'FOR KEY SHARE'"},
      {"SELECT * FROM t LOCK IN SHARE MODE", "found 'LOCK IN SHARE MODE' at line 1, column 17"},
      {"SELECT * FROM t FOR UPDATE NOWAIT", "'FOR UPDATE'"},
      {"SELECT * FROM t NOWAIT", "found 'NOWAIT'"},
      {"SELECT * FROM t SKIP LOCKED", "found 'SKIP LOCKED'"},
      {"SELECT * INTO x FROM t", "INTO is not allowed"},
      {"SELECT 1.into x", "INTO is not allowed"},
      {"SELECT * FROM t INTO OUTFILE '/tmp/x'", "INTO is not allowed"},
      {"SELECT a FROM t WHERE a IN (SELECT b INTO @v FROM u)", "INTO is not allowed"},
      {"SELECT call FROM t", "CALL is not allowed"},
      {"SELECT * FROM t WHERE x = (UPDATE)", "UPDATE is not allowed"},
      {"SELECT * FROM t WHERE x = 1 AND delete", "DELETE is not allowed"},
      {"SELECT merge FROM t", "MERGE is not allowed"},
      {"SELECT a FROM t REPLACE", "REPLACE is not allowed"},
      {"SELECT create FROM t", "CREATE is not allowed"},
      {"SELECT alter FROM t", "ALTER is not allowed"},
      {"SELECT drop FROM t", "DROP is not allowed"},
      {"SELECT truncate FROM t", "TRUNCATE is not allowed"},
      {"SELECT grant FROM t", "GRANT is not allowed"},
      {"SELECT revoke FROM t", "REVOKE is not allowed"},
      {"SELECT set FROM t", "SET is not allowed"},
      {"SELECT copy FROM t", "COPY is not allowed"},
      {"SELECT load FROM t", "LOAD is not allowed"},
      {"SELECT handler FROM t", "HANDLER is not allowed"},
      {"SELECT do FROM t", "DO is not allowed"},
      {"SELECT execute FROM t", "EXECUTE is not allowed"},
      {"SELECT prepare FROM t", "PREPARE is not allowed"},
      {"SELECT attach FROM t", "ATTACH is not allowed"},
      {"SELECT detach FROM t", "DETACH is not allowed"},
      {"SELECT pragma FROM t", "PRAGMA is not allowed"},
      {"SELECT vacuum FROM t", "VACUUM is not allowed"},
      {"SELECT reindex FROM t", "REINDEX is not allowed"},
      {"SELECT Analyze FROM t",
       "ANALYZE is not allowed: a custom query may only read (found at line 1, column 8); if it is "
       "a"},
      {"SELECT lock FROM t", "LOCK is not allowed"},
      {"SELECT unlock FROM t", "UNLOCK is not allowed"},
      {"SELECT pg_catalog.lo_import('/etc/passwd')", "function 'lo_import' is not allowed"},
      {"select SLEEP(1)", "function 'sleep' is not allowed"},
      {"SELECT sleep (1)", "function 'sleep'"},
      {"SELECT sleep/* x */(1)", "function 'sleep'"},
      {"SELECT lo_export(1, '/tmp/x')", "function 'lo_export'"},
      {"SELECT lo_from_bytea(0, 'x')", "function 'lo_from_bytea'"},
      {"SELECT lo_create(0), lo_unlink(1), lo_put(1, 0, 'x')", "function 'lo_create'"},
      {"SELECT dblink_exec('host=x', 'DROP TABLE t')", "function 'dblink_exec'"},
      {"SELECT * FROM dblink('x', 'SELECT 1') AS t(a int)", "function 'dblink'"},
      {"SELECT pg_read_file('/etc/passwd')", "function 'pg_read_file'"},
      {"SELECT pg_read_binary_file('x')", "function 'pg_read_binary_file'"},
      {"SELECT * FROM pg_ls_dir('.')", "function 'pg_ls_dir'"},
      {"SELECT pg_stat_file('x')", "function 'pg_stat_file'"},
      {"SELECT pg_sleep(10)", "function 'pg_sleep'"},
      {"SELECT pg_sleep_for('1 s')", "function 'pg_sleep_for'"},
      {"SELECT pg_terminate_backend(1)", "function 'pg_terminate_backend'"},
      {"SELECT pg_cancel_backend(1)", "function 'pg_cancel_backend'"},
      {"SELECT pg_reload_conf()", "function 'pg_reload_conf'"},
      {"SELECT pg_rotate_logfile()", "function 'pg_rotate_logfile'"},
      {"SELECT pg_switch_wal()", "function 'pg_switch_wal'"},
      {"SELECT set_config('a.b', 'c', false)", "function 'set_config'"},
      {"SELECT nextval('s')", "function 'nextval'"},
      {"SELECT setval('s', 1)", "function 'setval'"},
      {"SELECT txid_current()", "function 'txid_current'"},
      {"SELECT pg_advisory_lock(1)", "function 'pg_advisory_lock'"},
      {"SELECT pg_try_advisory_xact_lock(1)", "function 'pg_try_advisory_xact_lock'"},
      {"SELECT pg_notify('c', 'x')", "function 'pg_notify'"},
      {"SELECT query_to_xml('DELETE FROM t', true, true, '')", "function 'query_to_xml'"},
      {"SELECT query_to_xml_and_xmlschema('x', true, true, '')", "function 'query_to_xml"},
      {"SELECT load_file('/etc/passwd')", "function 'load_file'"},
      {"SELECT BENCHMARK(1000000, md5('x'))", "function 'benchmark'"},
      {"SELECT get_lock('x', 10)", "function 'get_lock'"},
      {"SELECT release_lock('x')", "function 'release_lock'"},
      {"SELECT release_all_locks()", "function 'release_all_locks'"},
      {"SELECT is_free_lock('x')", "function 'is_free_lock'"},
      {"SELECT master_pos_wait('f', 1)", "function 'master_pos_wait'"},
      {"SELECT source_pos_wait('f', 1)", "function 'source_pos_wait'"},
      {"SELECT sys_exec('rm -rf /')", "function 'sys_exec'"},
      {"SELECT sys_eval('id')", "function 'sys_eval'"},
      {"SELECT a FROM t WHERE 'x' = 'y", "unterminated string starting at line 1, column 29"},
      {"SELECT a FROM t /* unterminated", "unterminated comment"},
      {"SELECT a FROM t WHERE a = ?", "bound parameters such as '?'"},
      {std::string("SELECT 1\0; DROP TABLE t", 24), "NUL"},
      {"SELECT '\xff'", "not valid UTF-8"},
  };
  for (const Dialect dialect : kAllDialects) {
    for (const auto& c : cases) {
      // '?' is a jsonb operator in PostgreSQL, which uses $n placeholders.
      if (dialect == Dialect::kPostgreSql && c.sql.ends_with("a = ?")) continue;
      ExpectRefused(dialect, c);
    }
  }
}

TEST(CustomQueryCheckTest, RefusesPerDialect) {
  const std::vector<std::pair<Dialect, Refused>> cases = {
      {Dialect::kMySql, {"SELECT 1 /*! ; DROP TABLE t */", "executable comments"}},
      {Dialect::kMySql, {"SELECT 1 /*!50000 INTO OUTFILE '/tmp/x' */", "executable comments"}},
      {Dialect::kMySql, {"SELECT 1 /*M! , sleep(5) */", "executable comments"}},
      {Dialect::kMySql, {"SELECT * FROM t INTO DUMPFILE '/tmp/x'", "INTO is not allowed"}},
      {Dialect::kMySql, {"SELECT a INTO @v FROM t", "INTO is not allowed"}},
      {Dialect::kMySql, {"SELECT 1 --1 INTO @x", "INTO is not allowed"}},
      {Dialect::kMySql, {"SELECT `sleep`(1)", "function 'sleep'"}},
      {Dialect::kMySql, {"SELECT \"sleep\"(1)", "function 'sleep'"}},
      {Dialect::kMySql, {"SELECT 'a\\' ; DROP TABLE t; -- '", "NO_BACKSLASH_ESCAPES"}},
      {Dialect::kMySql, {"SELECT 'O\\'Brien'", "write a quote inside a string as two quotes"}},
      {Dialect::kMySql, {"SELECT \"a\\\" ; DELETE FROM t -- \"", "reads differently"}},
      {Dialect::kMySql, {"SELECT a FROM t WHERE x = 'it\\'s' FOR UPDATE", "'FOR UPDATE'"}},
      {Dialect::kMySql, {"SELECT a FROM t; # comment\nDELETE FROM t", "second statement"}},
      {Dialect::kMySql, {"SELECT INSERT INTO t", "INSERT is not allowed"}},
      {Dialect::kMySql, {"SELECT 1 FROM t PROCEDURE ANALYSE()", "PROCEDURE is not allowed"}},
      {Dialect::kPostgreSql, {"SELECT \"pg_sleep\"(1)", "function 'pg_sleep'"}},
      {Dialect::kPostgreSql, {"SELECT U&\"\\0070g_sleep\"(1)", "function 'pg_sleep'"}},
      {Dialect::kPostgreSql, {"SELECT a FROM t WHERE b = $1", "bound parameters such as '$1'"}},
      {Dialect::kPostgreSql, {"SELECT 'a\\' ; DROP TABLE t; -- '", "second statement"}},
      {Dialect::kPostgreSql, {"SELECT 'it\\'s' FROM t", "unterminated string"}},
      {Dialect::kPostgreSql, {"SELECT 'a\\' , 'b'", "standard_conforming_strings = off"}},
      {Dialect::kPostgreSql, {"SELECT $x$ unterminated", "unterminated dollar-quoted string"}},
      {Dialect::kPostgreSql, {"SELECT a FROM t /* /* */ x", "unterminated comment"}},
      {Dialect::kPostgreSql, {"SELECT FROM WHERE", "PostgreSQL cannot parse it: syntax error"}},
      {Dialect::kPostgreSql,
       {"SELECT a FROM t WHERE (",
        "PostgreSQL cannot parse it: syntax error at end of input at "
        "line 1, column 24"}},
      {Dialect::kPostgreSql,
       {"SELECT a\nFROM t WHRE x", "syntax error at or near \"x\" at line 2, column 13"}},
      {Dialect::kPostgreSql,
       {"SELECT a FROM t -- x\n\tFOR\tUPDATE OF t", "found 'FOR UPDATE' at line 2, column 2"}},
      {Dialect::kPostgreSql, {"SELECT dblink_connect('x')", "function 'dblink_connect'"}},
      {Dialect::kPostgreSql,
       {"WITH RECURSIVE t AS (SELECT 1) CYCLE a SET b USING c SELECT 1", "SET is not allowed"}},
      {Dialect::kPostgreSql, {"SELECT analyse FROM t", "ANALYSE is not allowed"}},
      {Dialect::kPostgreSql, {"SELECT 1 FROM t; COMMIT", "second statement"}},
      {Dialect::kPostgreSql, {"TABLE t", "must start with SELECT or WITH"}},
      {Dialect::kSqlite, {"SELECT load_extension('/tmp/evil.so')", "function 'load_extension'"}},
      {Dialect::kSqlite, {"SELECT readfile('/etc/passwd')", "function 'readfile'"}},
      {Dialect::kSqlite, {"SELECT writefile('/tmp/x', 'y')", "function 'writefile'"}},
      {Dialect::kSqlite, {"SELECT edit('x')", "function 'edit'"}},
      {Dialect::kSqlite, {"SELECT fts3_tokenizer('simple')", "function 'fts3_tokenizer'"}},
      {Dialect::kSqlite, {"SELECT [load_extension]('x')", "function 'load_extension'"}},
      {Dialect::kSqlite, {"SELECT a FROM t WHERE b = :name", "bound parameters such as ':name'"}},
      {Dialect::kSqlite, {"SELECT a FROM t WHERE b = ?1", "bound parameters"}},
      {Dialect::kSqlite, {"SELECT 1; ATTACH 'x' AS y", "second statement"}},
      {Dialect::kSqlite, {"PRAGMA query_only = 0", "must start with SELECT or WITH"}},
      {Dialect::kSqlite, {"SELECT a FROM [t", "unterminated quoted identifier"}},
  };
  for (const auto& [dialect, c] : cases) ExpectRefused(dialect, c);
}

// The PostgreSQL parse tree check catches what the lexical pass might not.
TEST(CustomQueryCheckTest, PostgresParseTreeAgrees) {
  // Valid PostgreSQL in all respects the lexical pass looks at, refused by the
  // parse tree walk.
  ExpectRefused(Dialect::kPostgreSql,
                {"SELECT U&\"\\006Co_import\"('/etc/passwd')", "function 'lo_import'"});
  EXPECT_TRUE(CheckCustomQuery(Dialect::kPostgreSql,
                               "SELECT a FROM t WHERE b IN (SELECT c FROM u) ORDER BY 1")
                  .ok());
}

TEST(CustomQueryCheckTest, PostgresParserAlone) {
  const Refused cases[] = {
      {"SELECT * FROM t FOR UPDATE", "row locks"},
      {"SELECT 1 UNION SELECT 2 FOR SHARE", "row locks"},
      {"SELECT * FROM t WHERE a IN (SELECT b FROM u FOR KEY SHARE)", "row locks"},
      {"SELECT * INTO newtable FROM t", "SELECT ... INTO"},
      {"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "data-modifying"},
      {"WITH a AS (WITH d AS (UPDATE t SET x = 1 RETURNING *) SELECT * FROM d) SELECT * FROM a",
       "data-modifying"},
      {"SELECT 1; SELECT 2", "PostgreSQL reads 2 statements"},
      {"DELETE FROM t", "PostgreSQL reads it as DeleteStmt, not a SELECT"},
      {"COPY t TO '/tmp/x'", "CopyStmt"},
      {"SET search_path = x", "VariableSetStmt"},
      {"SELECT x FROM pg_catalog.lo_import('/etc/passwd') AS x", "function 'lo_import'"},
      {"SELECT upper(PG_SLEEP(1)::text)", "function 'pg_sleep'"},
      {"SELECT \"dblink_exec\"('x', 'y')", "function 'dblink_exec'"},
      {"-- nothing", "empty"},
      {"SELECT (", "PostgreSQL cannot parse it: syntax error at end of input at line 1, column 9"},
      {"SELECT 'é' FRM t", "syntax error at or near \"t\" at line 1, column 16"},
  };
  for (const auto& c : cases) {
    const base::Status status = CheckWithPostgresParser(c.sql);
    ASSERT_FALSE(status.ok()) << c.sql;
    EXPECT_EQ(status.code(), base::ErrorCode::kBadQuery) << c.sql;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.sql;
  }
  for (const char* sql : kAcceptedEverywhere) {
    EXPECT_TRUE(CheckWithPostgresParser(sql).ok()) << sql;
  }
  EXPECT_TRUE(CheckWithPostgresParser("SELECT \"into\" FROM t FOR READ ONLY").ok());
}

TEST(CustomQueryCheckTest, PreparesStatementBody) {
  const DialectCase cases[] = {
      {Dialect::kMySql, "SELECT a FROM t;"},
      {Dialect::kMySql, "\n\t SELECT a FROM t ; # done\n"},
      {Dialect::kPostgreSql, "/* lead */ SELECT a FROM t -- tail"},
      {Dialect::kSqlite, "SELECT a FROM t;\n-- done"},
  };
  for (const auto& c : cases) {
    auto body = PrepareCustomQuery(c.dialect, c.sql);
    ASSERT_TRUE(body.ok()) << c.sql << ": " << body.status().message();
    EXPECT_EQ(*body, "SELECT a FROM t") << c.sql;
  }
  auto body = PrepareCustomQuery(Dialect::kMySql, "SELECT a -- inner\nFROM t");
  EXPECT_EQ(*body, "SELECT a -- inner\nFROM t");
  EXPECT_FALSE(PrepareCustomQuery(Dialect::kMySql, "SELECT 1; SELECT 2").ok());
  EXPECT_FALSE(
      PrepareCustomQuery(Dialect::kMySql, std::string(kMaxCustomQueryBytes + 1, ' ')).ok());
}

// --- Issue 11: closed by default ---------------------------------------------

void ExpectAccepted(Dialect dialect, const std::string& sql, const CustomQueryPolicy& policy = {}) {
  const base::Status status = CheckCustomQuery(dialect, sql, policy);
  EXPECT_TRUE(status.ok()) << DialectName(dialect) << ": " << sql << "\n  -> " << status.message();
}

void ExpectRefusedWith(Dialect dialect, const Refused& c, const CustomQueryPolicy& policy) {
  const base::Status status = CheckCustomQuery(dialect, c.sql, policy);
  ASSERT_FALSE(status.ok()) << DialectName(dialect) << ": " << c.sql;
  EXPECT_THAT(status.message(), HasSubstr(c.message)) << DialectName(dialect) << ": " << c.sql;
}

// Queries a contact sync plausibly runs: joins, CTEs, window functions, CASE,
// COALESCE, date arithmetic, JSON extraction, string functions, GROUP BY /
// HAVING, UNION, subqueries in FROM and WHERE, casts to ordinary types.
TEST(CustomQueryCheckTest, OrdinaryQueriesStillPass) {
  const DialectCase cases[] = {
      {Dialect::kMySql,
       "SELECT c.email, CONCAT(c.first_name, ' ', c.last_name) AS name, COALESCE(o.total, 0) AS "
       "total FROM customers c LEFT JOIN (SELECT customer_id, SUM(amount) AS total FROM orders "
       "GROUP BY customer_id HAVING SUM(amount) > 10) AS o ON o.customer_id = c.id WHERE "
       "c.created_at > NOW() - INTERVAL 30 DAY AND c.email LIKE '%@%'"},
      {Dialect::kMySql,
       "SELECT email, ROW_NUMBER() OVER (PARTITION BY country ORDER BY created_at DESC) AS rn, "
       "LAG(email) OVER w FROM customers WINDOW w AS (ORDER BY id)"},
      {Dialect::kMySql,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i "
       "FROM n"},
      {Dialect::kMySql,
       "SELECT JSON_UNQUOTE(JSON_EXTRACT(data, '$.email')) AS email, data->>'$.name' AS name, "
       "JSON_VALUE(data, '$.age') FROM t"},
      {Dialect::kMySql,
       "SELECT CAST(price AS DECIMAL(10,2)) AS p, CONVERT(name USING utf8mb4) AS n, "
       "CONVERT(x, CHAR(20)), CAST(d AS DATETIME(6)), CAST(y AS UNSIGNED) FROM t"},
      {Dialect::kMySql,
       "SELECT DATE_FORMAT(created_at, '%Y-%m-%d'), DATE_ADD(created_at, INTERVAL 1 DAY), "
       "IFNULL(a, 'x'), IF(a > 1, 'y', 'n'), CASE WHEN a THEN 1 END, TIMESTAMPDIFF(DAY, a, b) "
       "FROM t"},
      {Dialect::kMySql,
       "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id) AND a IN (1, 2) UNION "
       "SELECT b FROM u"},
      {Dialect::kMySql,
       "SELECT jt.* FROM t, JSON_TABLE(t.doc, '$[*]' COLUMNS (id FOR ORDINALITY, a INT PATH "
       "'$.a', name VARCHAR(100) PATH '$.n')) AS jt"},
      {Dialect::kMySql,
       "SELECT UPPER(TRIM(email)), LOWER(SUBSTRING_INDEX(email, '@', -1)), GROUP_CONCAT(DISTINCT "
       "tag ORDER BY tag SEPARATOR ',') FROM t GROUP BY email"},
      {Dialect::kMySql, "SELECT a FROM t WHERE MATCH (title) AGAINST ('x' IN BOOLEAN MODE)"},
      {Dialect::kMySql, "SELECT a FROM t WHERE a = ANY (SELECT b FROM u) AND a NOT IN (3)"},
      {Dialect::kSqlite,
       "SELECT email, strftime('%Y', created_at) AS y, date(created_at, '+1 day'), "
       "COALESCE(name, '') FROM people WHERE email LIKE '%@x' GROUP BY email HAVING count(*) > 0"},
      {Dialect::kSqlite,
       "SELECT json_extract(data, '$.email'), data ->> '$.name', j.value FROM t, "
       "json_each(t.tags) AS j"},
      {Dialect::kSqlite,
       "SELECT CAST(a AS INTEGER), CAST(b AS VARCHAR(20)), CAST(c AS character varying(5)) FROM "
       "t"},
      {Dialect::kSqlite,
       "SELECT row_number() OVER (ORDER BY id), sum(x) FILTER (WHERE x > 0) OVER w FROM t "
       "WINDOW w AS (PARTITION BY g)"},
      {Dialect::kSqlite,
       "SELECT iif(a > 1, 'y', 'n'), CASE a WHEN 1 THEN 'one' END, substr(b, 1, 3), replace(c, "
       "'x', 'y'), \"lower\"(d) FROM t"},
      {Dialect::kSqlite,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i "
       "FROM n WHERE i IN (SELECT 2) UNION SELECT 9"},
      {Dialect::kPostgreSql,
       "SELECT c.email, concat_ws(' ', c.first_name, c.last_name), COALESCE(o.total, 0) FROM "
       "customers c LEFT JOIN LATERAL (SELECT sum(amount) AS total FROM orders o WHERE o.cid = "
       "c.id) o ON true WHERE c.created_at > now() - interval '30 days'"},
      {Dialect::kPostgreSql,
       "SELECT data->>'email', data #>> '{a,b}', jsonb_extract_path_text(data, 'x'), data @> "
       "'{\"a\":1}' FROM t"},
      {Dialect::kPostgreSql,
       "SELECT a::int, b::numeric(10,2), CAST(c AS varchar(20)), d::timestamptz, date "
       "'2024-01-01', e::date + 1, f::text[], g::double precision FROM t"},
      {Dialect::kPostgreSql,
       "SELECT row_number() OVER (PARTITION BY g ORDER BY id DESC), lag(x) OVER w FROM t WINDOW "
       "w AS (ORDER BY id)"},
      {Dialect::kPostgreSql,
       "SELECT extract(year FROM created_at), date_trunc('month', created_at), "
       "to_char(created_at, 'YYYY'), created_at AT TIME ZONE 'UTC' FROM t"},
      {Dialect::kPostgreSql,
       "SELECT trim(both ' ' from a), substring(b from 1 for 3), position('@' in email), "
       "lower(email) LIKE '%x%' ESCAPE '!', email ILIKE 'a%', email ~* 'x', email SIMILAR TO "
       "'%a%' FROM t"},
      {Dialect::kPostgreSql,
       "SELECT count(*) FILTER (WHERE a > 1), string_agg(b, ',' ORDER BY b), array_agg(DISTINCT "
       "c) FROM t GROUP BY d HAVING count(*) > 1"},
      {Dialect::kPostgreSql,
       "SELECT a FROM t WHERE a IN (SELECT b FROM u) AND EXISTS (SELECT 1 FROM v) AND a = ANY "
       "(ARRAY[1,2]) UNION ALL SELECT 1"},
      {Dialect::kPostgreSql,
       "SELECT CASE WHEN a IS NULL THEN 'x' ELSE greatest(b, c)::text END, nullif(d, ''), a IS "
       "DISTINCT FROM b, x BETWEEN 1 AND 2, x NOT BETWEEN SYMMETRIC 3 AND 1 FROM t"},
      {Dialect::kPostgreSql,
       "SELECT * FROM generate_series(1, 3) AS g(i), jsonb_to_record('{\"a\":1}') AS r(a int)"},
      {Dialect::kPostgreSql,
       "SELECT current_date, current_timestamp, now(), a COLLATE \"C\", ROW(1, 'x'), "
       "(ARRAY[1,2])[1] FROM t ORDER BY a USING <"},
      {Dialect::kPostgreSql, "SELECT a OPERATOR(pg_catalog.=) b FROM t TABLESAMPLE bernoulli(10)"},
  };
  for (const auto& c : cases) ExpectAccepted(c.dialect, c.sql);
}

// Every example of issue 11, each refused by the check (each ran on a
// privileged account before).
TEST(CustomQueryCheckTest, RefusesTheIssue11Examples) {
  const std::vector<std::pair<Dialect, Refused>> cases = {
      // A carriage return does not end a MariaDB/SQLite line comment.
      {Dialect::kMySql,
       {"SELECT 1 AS c -- \r'\n, LOAD_FILE('/etc/hostname') AS d -- '\nFROM DUAL",
        "function 'load_file' is not allowed (found at line 2, column 3)"}},
      {Dialect::kSqlite,
       {"SELECT 1 AS c -- \r'\n, load_extension('/tmp/x') AS d -- '\n",
        "function 'load_extension' is not allowed"}},
      // PostgreSQL functions that run SQL given as text, and what they reached.
      {Dialect::kPostgreSql,
       {"SELECT word FROM ts_stat($$SELECT to_tsvector('simple', "
        "pg_read_file('/etc/hostname'))$$)",
        "function 'ts_stat' is not allowed (found at line 1, column 18)"}},
      {Dialect::kPostgreSql,
       {"SELECT dblink_exec('host=127.0.0.1 dbname=x', 'INSERT INTO t VALUES (1)')",
        "function 'dblink_exec'"}},
      {Dialect::kPostgreSql,
       {"SELECT * FROM ts_stat($$SELECT dblink_exec('host=127.0.0.1', 'COPY (SELECT 1) TO "
        "PROGRAM ''id''')$$)",
        "function 'ts_stat'"}},
      {Dialect::kPostgreSql,
       {"SELECT pg_create_physical_replication_slot('cs_slot')",
        "function 'pg_create_physical_replication_slot'"}},
      {Dialect::kPostgreSql,
       {"SELECT ts_rewrite('a & b'::text, 'SELECT t, s FROM aliases')", "function 'ts_rewrite'"}},
      {Dialect::kPostgreSql,
       {"SELECT query_to_xml('SELECT pg_sleep(5)', true, true, '')", "function 'query_to_xml'"}},
      {Dialect::kPostgreSql,
       {"SELECT cursor_to_xml('c', 1, true, true, '')", "function 'cursor_to_xml'"}},
      {Dialect::kPostgreSql,
       {"SELECT * FROM crosstab('SELECT 1') AS ct(a int)", "function 'crosstab'"}},
      {Dialect::kPostgreSql,
       {"SELECT * FROM connectby('t', 'id', 'parent', '1', 0) AS c(a int)",
        "function 'connectby'"}},
      {Dialect::kPostgreSql,
       {"SELECT pg_terminate_backend(123)", "function 'pg_terminate_backend'"}},
      {Dialect::kPostgreSql, {"SELECT pg_switch_wal()", "function 'pg_switch_wal'"}},
      {Dialect::kPostgreSql, {"SELECT pg_reload_conf()", "function 'pg_reload_conf'"}},
      {Dialect::kPostgreSql,
       {"SELECT pg_logical_emit_message(true, 'p', 'x')", "function 'pg_logical_emit_message'"}},
      {Dialect::kPostgreSql,
       {"SELECT pg_log_backend_memory_contexts(123)", "function 'pg_log_backend_memory_contexts'"}},
      // SQL text built at run time: harmless text, unless something runs it.
      {Dialect::kPostgreSql,
       {"SELECT query_to_xml(convert_from(decode('U0VMRUNUIDE=', 'base64'), 'UTF8'), true, "
        "true, '')",
        "function 'query_to_xml'"}},
      {Dialect::kPostgreSql,
       {"SELECT * FROM ts_stat(reverse(')1 ,''elpmis''(rotcevst_ot TCELES'))",
        "function 'ts_stat'"}},
      // SQLite reads "#b(')" as one variable.
      {Dialect::kSqlite,
       {"SELECT 1 AS a, #b(') , load_extension('/tmp/x') AS c -- '",
        "bound parameters such as '#b(')'"}},
      // A GBK/Big5/SJIS server keeps '中\' closed; the check reads it two ways.
      {Dialect::kMySql,
       {"SELECT '中\\' AS a, LOAD_FILE('/etc/hostname') AS d -- '", "reads differently"}},
      // Shared row locks.
      {Dialect::kMySql, {"SELECT * FROM t LOCK IN SHARE MODE", "'LOCK IN SHARE MODE'"}},
      {Dialect::kPostgreSql, {"SELECT * FROM t FOR KEY SHARE SKIP LOCKED", "'FOR KEY SHARE'"}},
      // Families the old deny list missed.
      {Dialect::kPostgreSql,
       {"SELECT pg_copy_physical_replication_slot('a', 'b')",
        "function 'pg_copy_physical_replication_slot'"}},
      {Dialect::kPostgreSql,
       {"SELECT pg_copy_logical_replication_slot('a', 'b')",
        "function 'pg_copy_logical_replication_slot'"}},
      {Dialect::kPostgreSql,
       {"SELECT brin_summarize_new_values('i'::text)", "function 'brin_summarize_new_values'"}},
      {Dialect::kPostgreSql,
       {"SELECT brin_summarize_range('i'::text, 0)", "function 'brin_summarize_range'"}},
      {Dialect::kPostgreSql,
       {"SELECT gin_clean_pending_list('i'::text)", "function 'gin_clean_pending_list'"}},
      {Dialect::kMySql, {"SELECT NEXT VALUE FOR seq", "sequence values ('NEXT')"}},
      {Dialect::kMySql, {"SELECT PREVIOUS VALUE FOR seq", "sequence values ('PREVIOUS')"}},
      {Dialect::kMySql, {"SELECT NEXTVAL(seq)", "function 'nextval'"}},
      {Dialect::kMySql, {"SELECT LASTVAL(seq)", "function 'lastval'"}},
      {Dialect::kMySql, {"SELECT SETVAL(seq, 5)", "function 'setval'"}},
      {Dialect::kMySql, {"SELECT seq.nextval", "sequence values ('nextval')"}},
      {Dialect::kPostgreSql, {"SELECT currval('s'), lastval()", "function 'currval'"}},
      {Dialect::kPostgreSql,
       {"SELECT current_setting('data_directory')", "function 'current_setting'"}},
  };
  for (const auto& [dialect, c] : cases) ExpectRefused(dialect, c);
}

TEST(CustomQueryCheckTest, UnknownFunctionsAreRefusedByName) {
  for (const Dialect dialect : kAllDialects) {
    ExpectRefused(dialect,
                  {"SELECT a,\n  cs_probe(a) FROM t",
                   "function 'cs_probe' is not allowed (found at line 2, column 3): only built-in "
                   "functions without side effects may be called; if 'cs_probe' is your own "
                   "function and you trust it, allow it on the connection with --allow-function "
                   "cs_probe"});
    ExpectRefused(dialect, {"SELECT shop.discount(a) FROM t", "function 'shop.discount'"});
    ExpectRefused(dialect, {"SELECT a FROM t WHERE x = (SELECT cs_probe())", "'cs_probe'"});
  }
  // Extension functions are nobody's built-ins.
  ExpectRefused(Dialect::kPostgreSql, {"SELECT similarity(a, b) FROM t", "'similarity'"});
  ExpectRefused(Dialect::kPostgreSql, {"SELECT digest(a, 'sha256') FROM t", "'digest'"});
  ExpectRefused(Dialect::kPostgreSql, {"SELECT public.lower(a) FROM t", "'public.lower'"});
  ExpectRefused(Dialect::kPostgreSql, {"SELECT \"LOWER\"(a) FROM t", "'LOWER'"});
  // In FROM, in row constructors, in ORDER BY, in field selection.
  ExpectRefused(Dialect::kPostgreSql, {"SELECT * FROM cs_probe() AS p", "'cs_probe'"});
  ExpectRefused(Dialect::kPostgreSql,
                {"SELECT * FROM ROWS FROM (generate_series(1, 2), cs_probe()) AS r", "'cs_probe'"});
  ExpectRefused(Dialect::kPostgreSql, {"SELECT ROW(1, cs_probe())", "'cs_probe'"});
  ExpectRefused(Dialect::kPostgreSql, {"SELECT (cs_probe()).x", "'cs_probe'"});
  ExpectRefused(Dialect::kPostgreSql, {"SELECT a FROM t ORDER BY cs_probe(a)", "'cs_probe'"});
  ExpectRefused(Dialect::kSqlite, {"SELECT * FROM pragma_table_info('t')", "'pragma_table_info'"});
  ExpectRefused(Dialect::kSqlite, {"SELECT random(), randomblob(9)", "'random'"});
  // MySQL: digits then letters are one name, which is no built-in.
  ExpectRefused(Dialect::kMySql, {"SELECT 1abs(2)", "function '1abs'"});
  // MySQL resolves a quoted name, or a space before '(', to a stored function.
  ExpectRefused(Dialect::kMySql,
                {"SELECT COUNT (*) FROM t",
                 "write '(' right after the function name 'count' (found at line 1, column 8)"});
  ExpectRefused(Dialect::kMySql, {"SELECT lower/* x */(a) FROM t", "'lower'"});
  ExpectRefused(Dialect::kMySql, {"SELECT `lower`(a) FROM t", "'lower'"});
  ExpectRefused(Dialect::kMySql, {"SELECT @a := 1", "variable assignments (:=)"});
}

TEST(CustomQueryCheckTest, PostgresTypesOperatorsAndNodesAreAllowListed) {
  const Refused cases[] = {
      {"SELECT a::regclass FROM t", "type 'regclass' is not allowed (found at line 1, column 11)"},
      {"SELECT CAST(a AS email_address) FROM t", "type 'email_address'"},
      {"SELECT a::public.text FROM t", "type 'public.text'"},
      {"SELECT '1'::citext", "type 'citext'"},
      {"SELECT * FROM json_to_record('{}') AS r(a shop_type)", "type 'shop_type'"},
      {"SELECT a OPERATOR(public.===) b FROM t", "operator 'public.===' is not allowed"},
      {"SELECT a <~> b FROM t", "operator '<~>'"},
      {"SELECT a FROM t WHERE a %% ANY (SELECT b FROM u)", "operator '%%'"},
      {"SELECT * FROM t TABLESAMPLE system_rows(10)", "TABLESAMPLE method 'system_rows'"},
      {"SELECT xmlelement(name a)", "PostgreSQL reads a XmlExpr at line 1, column 8"},
      {"SELECT * FROM XMLTABLE('/a' PASSING '<a/>' COLUMNS x int)", "RangeTableFunc"},
  };
  for (const auto& c : cases) ExpectRefused(Dialect::kPostgreSql, c);
}

TEST(CustomQueryCheckTest, ConnectionPolicyAllowsUserFunctionsButNeverTheNeverList) {
  const CustomQueryPolicy policy{{"shop_discount", "billing.net_price", "pg_sleep", "sleep",
                                  "load_extension", "dblink_exec", "ts_stat", "nextval"}};
  for (const Dialect dialect : kAllDialects) {
    ExpectAccepted(dialect, "SELECT shop_discount(price) FROM t", policy);
    ExpectAccepted(dialect, "SELECT SHOP_DISCOUNT(price) FROM t", policy);
    ExpectRefusedWith(dialect, {"SELECT shop_discount(price) FROM t", "'shop_discount'"}, {});
    // Qualified and unqualified are different functions.
    ExpectRefusedWith(dialect, {"SELECT x.shop_discount(price) FROM t", "'x.shop_discount'"},
                      policy);
    ExpectRefusedWith(dialect, {"SELECT net_price(price) FROM t", "'net_price'"}, policy);
    for (const char* sql :
         {"SELECT pg_sleep(1)", "SELECT sleep(1)", "SELECT load_extension('x')",
          "SELECT dblink_exec('a', 'b')", "SELECT * FROM ts_stat('x')", "SELECT nextval('s')"}) {
      ExpectRefusedWith(dialect, {sql, "no connection setting can allow it"}, policy);
    }
  }
  ExpectAccepted(Dialect::kMySql, "SELECT billing.net_price(price) FROM t", policy);
  ExpectAccepted(Dialect::kPostgreSql, "SELECT billing.net_price(price) FROM t", policy);
  // MySQL reads a quoted name as the stored function, which the policy allows.
  ExpectAccepted(Dialect::kMySql, "SELECT `shop_discount`(1)", policy);
}

}  // namespace
}  // namespace contactsync::query
