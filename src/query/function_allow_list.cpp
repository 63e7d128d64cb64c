#include "query/function_allow_list.h"

#include <algorithm>
#include <span>

#include "base/text.h"

namespace contactsync::query {
namespace {

using Names = std::span<const std::string_view>;

bool Contains(Names names, std::string_view lower) {
  return std::find(names.begin(), names.end(), lower) != names.end();
}

bool StartsWithAny(Names prefixes, std::string_view lower) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view prefix) { return lower.starts_with(prefix); });
}

// ---------------------------------------------------------------------------
// MySQL / MariaDB. Each group computes a value from its arguments only (plus
// the clock for the date group); none reads a file, a lock, a sequence, the
// session's variables or another connection.
// ---------------------------------------------------------------------------

// Strings: slicing, padding, case, search, encoding of the argument's bytes.
constexpr std::string_view kMySqlString[] = {
    "ascii",         "bin",
    "bit_length",    "char",
    "char_length",   "character_length",
    "chr",           "concat",
    "concat_ws",     "elt",
    "export_set",    "field",
    "find_in_set",   "format",
    "from_base64",   "hex",
    "insert",        "instr",
    "lcase",         "left",
    "length",        "locate",
    "lower",         "lpad",
    "ltrim",         "make_set",
    "mid",           "natural_sort_key",
    "oct",           "octet_length",
    "ord",           "position",
    "quote",         "repeat",
    "replace",       "reverse",
    "right",         "rpad",
    "rtrim",         "sformat",
    "soundex",       "space",
    "strcmp",        "substr",
    "substring",     "substring_index",
    "to_base64",     "trim",
    "ucase",         "unhex",
    "upper",         "regexp_instr",
    "regexp_like",   "regexp_replace",
    "regexp_substr", "md5",
    "sha",           "sha1",
    "sha2",          "crc32",
};

// Numbers: arithmetic and rounding.
constexpr std::string_view kMySqlMath[] = {
    "abs",     "acos", "asin",  "atan",     "atan2", "ceil", "ceiling", "conv",  "cos",  "cot",
    "degrees", "exp",  "floor", "greatest", "least", "ln",   "log",     "log10", "log2", "mod",
    "pi",      "pow",  "power", "radians",  "round", "sign", "sin",     "sqrt",  "tan",  "truncate",
};

// Dates and times: calendar arithmetic on the arguments and the statement's
// clock (NOW() and friends read the time, nothing else).
constexpr std::string_view kMySqlDateTime[] = {
    "adddate",        "addtime",           "convert_tz",   "curdate",       "current_date",
    "current_time",   "current_timestamp", "curtime",      "date",          "date_add",
    "date_format",    "date_sub",          "datediff",     "day",           "dayname",
    "dayofmonth",     "dayofweek",         "dayofyear",    "extract",       "from_days",
    "from_unixtime",  "get_format",        "hour",         "last_day",      "localtime",
    "localtimestamp", "makedate",          "maketime",     "microsecond",   "minute",
    "month",          "monthname",         "now",          "period_add",    "period_diff",
    "quarter",        "sec_to_time",       "second",       "str_to_date",   "subdate",
    "subtime",        "sysdate",           "time",         "time_format",   "time_to_sec",
    "timediff",       "timestamp",         "timestampadd", "timestampdiff", "to_days",
    "to_seconds",     "unix_timestamp",    "utc_date",     "utc_time",      "utc_timestamp",
    "week",           "weekday",           "weekofyear",   "year",          "yearweek",
};

// Conditions and conversions: choose or convert a value (CAST/CONVERT only
// change its type or character set).
constexpr std::string_view kMySqlConditional[] = {
    "if", "ifnull", "nullif", "coalesce", "isnull", "nvl", "nvl2", "interval", "cast", "convert",
};

// JSON: build, read and edit JSON *values*; JSON_SET and friends return a new
// document, they do not write the column.
constexpr std::string_view kMySqlJson[] = {
    "json_array",    "json_array_append", "json_array_insert",   "json_arrayagg",
    "json_compact",  "json_contains",     "json_contains_path",  "json_depth",
    "json_detailed", "json_equals",       "json_exists",         "json_extract",
    "json_insert",   "json_keys",         "json_length",         "json_loose",
    "json_merge",    "json_merge_patch",  "json_merge_preserve", "json_normalize",
    "json_object",   "json_objectagg",    "json_overlaps",       "json_pretty",
    "json_query",    "json_quote",        "json_remove",         "json_replace",
    "json_search",   "json_set",          "json_table",          "json_type",
    "json_unquote",  "json_valid",        "json_value",
};

// Aggregates over the query's own rows.
constexpr std::string_view kMySqlAggregate[] = {
    "avg", "bit_and", "bit_or",     "bit_xor",     "count", "group_concat", "max",      "min",
    "std", "stddev",  "stddev_pop", "stddev_samp", "sum",   "var_pop",      "var_samp", "variance",
};

// Window functions over the query's own rows (same set in all three dialects).
constexpr std::string_view kWindow[] = {
    "row_number", "rank", "dense_rank",  "percent_rank", "cume_dist", "ntile",
    "lag",        "lead", "first_value", "last_value",   "nth_value",
};

// ---------------------------------------------------------------------------
// PostgreSQL. pg_catalog functions only; the parser rewrites SQL-standard
// syntax (EXTRACT, TRIM, SUBSTRING ... FROM, AT TIME ZONE, LIKE ... ESCAPE,
// SIMILAR TO, OVERLAPS, IS NORMALIZED) into pg_catalog calls, which are listed
// too.
// ---------------------------------------------------------------------------

constexpr std::string_view kPostgresString[] = {
    "ascii",
    "bit_length",
    "btrim",
    "char_length",
    "character_length",
    "chr",
    "concat",
    "concat_ws",
    "convert",
    "convert_from",
    "convert_to",
    "decode",
    "encode",
    "format",
    "initcap",
    "is_normalized",
    "left",
    "length",
    "lower",
    "lpad",
    "ltrim",
    "md5",
    "normalize",
    "octet_length",
    "overlay",
    "position",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "regexp_count",
    "regexp_instr",
    "regexp_like",
    "regexp_match",
    "regexp_matches",
    "regexp_replace",
    "regexp_split_to_array",
    "regexp_split_to_table",
    "regexp_substr",
    "repeat",
    "replace",
    "reverse",
    "right",
    "rpad",
    "rtrim",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "split_part",
    "starts_with",
    "string_to_array",
    "string_to_table",
    "strpos",
    "substr",
    "substring",
    "to_hex",
    "translate",
    "unistr",
    "upper",
    "to_char",
    "to_number",
    "like_escape",
    "similar_escape",
    "similar_to_escape",
    "pg_collation_for",
};

constexpr std::string_view kPostgresMath[] = {
    "abs",          "acos",  "acosd",     "acosh",      "asin",  "asind",        "asinh",
    "atan",         "atan2", "atan2d",    "atand",      "atanh", "cbrt",         "ceil",
    "ceiling",      "cos",   "cosd",      "cosh",       "cot",   "cotd",         "degrees",
    "div",          "exp",   "factorial", "floor",      "gcd",   "lcm",          "ln",
    "log",          "log10", "min_scale", "mod",        "pi",    "power",        "radians",
    "round",        "scale", "sign",      "sin",        "sind",  "sinh",         "sqrt",
    "tan",          "tand",  "tanh",      "trim_scale", "trunc", "width_bucket", "num_nulls",
    "num_nonnulls",
};

constexpr std::string_view kPostgresDateTime[] = {
    "age",
    "clock_timestamp",
    "date_bin",
    "date_part",
    "date_trunc",
    "extract",
    "isfinite",
    "justify_days",
    "justify_hours",
    "justify_interval",
    "make_date",
    "make_interval",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "now",
    "overlaps",
    "statement_timestamp",
    "timezone",
    "to_date",
    "to_timestamp",
    "transaction_timestamp",
};

constexpr std::string_view kPostgresJson[] = {
    "array_to_json",
    "json_agg",
    "json_array_elements",
    "json_array_elements_text",
    "json_array_length",
    "json_build_array",
    "json_build_object",
    "json_each",
    "json_each_text",
    "json_extract_path",
    "json_extract_path_text",
    "json_object",
    "json_object_agg",
    "json_object_keys",
    "json_populate_record",
    "json_populate_recordset",
    "json_strip_nulls",
    "json_to_record",
    "json_to_recordset",
    "json_typeof",
    "jsonb_agg",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_array_length",
    "jsonb_build_array",
    "jsonb_build_object",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "jsonb_insert",
    "jsonb_object",
    "jsonb_object_agg",
    "jsonb_object_keys",
    "jsonb_path_exists",
    "jsonb_path_match",
    "jsonb_path_query",
    "jsonb_path_query_array",
    "jsonb_path_query_first",
    "jsonb_populate_record",
    "jsonb_populate_recordset",
    "jsonb_pretty",
    "jsonb_set",
    "jsonb_set_lax",
    "jsonb_strip_nulls",
    "jsonb_to_record",
    "jsonb_to_recordset",
    "jsonb_typeof",
    "row_to_json",
    "to_json",
    "to_jsonb",
};

constexpr std::string_view kPostgresArray[] = {
    "array_agg",    "array_append",  "array_cat",       "array_dims",          "array_length",
    "array_lower",  "array_ndims",   "array_position",  "array_positions",     "array_prepend",
    "array_remove", "array_replace", "array_to_string", "array_upper",         "cardinality",
    "trim_array",   "unnest",        "generate_series", "generate_subscripts",
};

constexpr std::string_view kPostgresAggregate[] = {
    "avg",      "bit_and",         "bit_or",
    "bit_xor",  "bool_and",        "bool_or",
    "count",    "every",           "max",
    "min",      "string_agg",      "sum",
    "stddev",   "stddev_pop",      "stddev_samp",
    "variance", "var_pop",         "var_samp",
    "mode",     "percentile_cont", "percentile_disc",
};

// ---------------------------------------------------------------------------
// SQLite: the core, date, math and JSON functions of the library. contactsync
// registers none of its own on a source connection.
// ---------------------------------------------------------------------------

constexpr std::string_view kSqliteCore[] = {
    "abs",     "char",     "coalesce", "concat", "concat_ws",    "format",     "glob",   "hex",
    "ifnull",  "iif",      "instr",    "length", "like",         "likelihood", "likely", "lower",
    "ltrim",   "max",      "min",      "nullif", "octet_length", "printf",     "quote",  "replace",
    "round",   "rtrim",    "sign",     "substr", "substring",    "trim",       "typeof", "unhex",
    "unicode", "unlikely", "upper",    "cast",
};

constexpr std::string_view kSqliteDateTime[] = {
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
};

constexpr std::string_view kSqliteMath[] = {
    "acos", "acosh",   "asin",    "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos",
    "cosh", "degrees", "exp",     "floor", "ln",   "log",   "log10", "log2", "mod",     "pi",
    "pow",  "power",   "radians", "sin",   "sinh", "sqrt",  "tan",   "tanh", "trunc",
};

constexpr std::string_view kSqliteJson[] = {
    "json",
    "json_array",
    "json_array_length",
    "json_error_position",
    "json_extract",
    "json_insert",
    "json_object",
    "json_patch",
    "json_pretty",
    "json_quote",
    "json_remove",
    "json_replace",
    "json_set",
    "json_type",
    "json_valid",
    "json_group_array",
    "json_group_object",
    "json_each",
    "json_tree",
    "jsonb",
    "jsonb_array",
    "jsonb_extract",
    "jsonb_insert",
    "jsonb_object",
    "jsonb_patch",
    "jsonb_remove",
    "jsonb_replace",
    "jsonb_set",
    "jsonb_group_array",
    "jsonb_group_object",
};

constexpr std::string_view kSqliteAggregate[] = {
    "avg", "count", "group_concat", "string_agg", "sum", "total",
};

// ---------------------------------------------------------------------------
// Never, whatever the connection allows.
// ---------------------------------------------------------------------------

constexpr std::string_view kNeverNames[] = {
    // Run SQL given as text (a door past every other check).
    "ts_stat",
    "ts_rewrite",
    "connectby",
    // Files on the database host.
    "load_file",
    "readfile",
    "writefile",
    "edit",
    "pg_stat_file",
    "pg_current_logfile",
    // Locks and waits.
    "sleep",
    "benchmark",
    "get_lock",
    "release_lock",
    "release_all_locks",
    "is_free_lock",
    "is_used_lock",
    "master_pos_wait",
    "source_pos_wait",
    "master_gtid_wait",
    "wait_for_executed_gtid_set",
    "wait_until_sql_thread_after_gtids",
    // Other sessions, signals, the server process.
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_log_backend_memory_contexts",
    "pg_promote",
    "pg_notify",
    "pg_import_system_collations",
    "pg_switch_wal",
    "pg_switch_xlog",
    "pg_start_backup",
    "pg_stop_backup",
    // Configuration: set_config changes it; current_setting only reads it but a
    // sync never needs the server's settings, and some reveal paths.
    "set_config",
    "current_setting",
    // Sequences and generated ids (each call consumes or sets a value).
    "nextval",
    "setval",
    "currval",
    "lastval",
    "last_insert_id",
    "uuid_short",
    // Code loading.
    "load_extension",
    "fts3_tokenizer",
    "sys_exec",
    "sys_eval",
};

constexpr std::string_view kNeverPrefixes[] = {
    "crosstab",       // tablefunc: crosstab, crosstab2..4 run their SQL text
    "dblink",         // another session, outside the read-only transaction
    "query_to_xml",   // runs its SQL text
    "cursor_to_xml",  // fetches from a cursor of another statement
    "table_to_xml",
    "schema_to_xml",
    "database_to_xml",
    "lo_",       // large objects (lo_import/lo_export read and write files)
    "pg_read_",  // server files
    "pg_ls_",    // server directories
    "pg_file_",  // adminpack writes files
    "pg_sleep",  // sleeps
    "pg_advisory",
    "pg_try_advisory",  // advisory locks
    "pg_create_",       // replication slots, restore points
    "pg_drop_",         // replication slots
    "pg_copy_",         // replication slots
    "pg_replication_",  // replication origins and slots
    "pg_logical_",      // logical decoding, WAL messages
    "pg_wal_",          // WAL replay control
    "pg_backup_",       // backups
    "pg_stat_",         // statistics (and their resets)
    "pg_xact_",
    "pg_current_xact_id",
    "txid_",
    "pg_snapshot_",  // transaction ids
    "brin_",         // brin_summarize_* writes the index
    "gin_clean_pending_list",
};

std::vector<Names> GroupsOf(Dialect dialect) {
  switch (dialect) {
    case Dialect::kMySql:
      return {kMySqlString, kMySqlMath,      kMySqlDateTime, kMySqlConditional,
              kMySqlJson,   kMySqlAggregate, kWindow};
    case Dialect::kPostgreSql:
      return {kPostgresString,    kPostgresMath, kPostgresDateTime, kPostgresJson, kPostgresArray,
              kPostgresAggregate, kWindow};
    case Dialect::kSqlite:
      return {kSqliteCore, kSqliteDateTime, kSqliteMath, kSqliteJson, kSqliteAggregate, kWindow};
  }
  return {};
}

}  // namespace

std::vector<std::string_view> AllowedBuiltinFunctions(Dialect dialect) {
  std::vector<std::string_view> names;
  for (const Names group : GroupsOf(dialect)) names.insert(names.end(), group.begin(), group.end());
  return names;
}

bool IsAllowedBuiltinFunction(Dialect dialect, std::string_view name) {
  const std::string lower = base::AsciiLower(name);
  // The never-list wins even over a table entry added by mistake.
  if (IsNeverAllowedFunction(lower)) return false;
  for (const Names group : GroupsOf(dialect)) {
    if (Contains(group, lower)) return true;
  }
  return false;
}

bool IsNeverAllowedFunction(std::string_view name) {
  const std::string lower = base::AsciiLower(name);
  return Contains(kNeverNames, lower) || StartsWithAny(kNeverPrefixes, lower);
}

bool IsAllowedPostgresType(std::string_view name) {
  // Input functions that parse text into a value. Left out on purpose: reg*
  // (catalog lookups by name, and OIDs), oid/xid/pg_lsn/txid_snapshot (server
  // internals), xml (a parser with its own options), and every type an
  // extension or a user adds (its input function is their code).
  static constexpr std::string_view kTypes[] = {
      "bool",      "int2",        "int4",     "int8",     "float4", "float8", "numeric",
      "text",      "varchar",     "bpchar",   "char",     "date",   "time",   "timetz",
      "timestamp", "timestamptz", "interval", "json",     "jsonb",  "uuid",   "bytea",
      "inet",      "cidr",        "macaddr",  "macaddr8", "money",  "bit",    "varbit",
  };
  return Contains(kTypes, base::AsciiLower(name));
}

bool IsAllowedPostgresOperator(std::string_view symbol) {
  // Comparison, arithmetic, bit, string, pattern (LIKE is ~~, SIMILAR TO and
  // regular expressions ~), JSON/JSONB, array containment and BETWEEN. On
  // built-in types each runs a built-in function.
  static constexpr std::string_view kOperators[] = {
      "=",
      "<>",
      "!=",
      "<",
      ">",
      "<=",
      ">=",
      "+",
      "-",
      "*",
      "/",
      "%",
      "^",
      "|/",
      "||/",
      "@",
      "&",
      "|",
      "#",
      "~",
      "<<",
      ">>",
      "||",
      "~~",
      "~~*",
      "!~~",
      "!~~*",
      "~*",
      "!~",
      "!~*",
      "->",
      "->>",
      "#>",
      "#>>",
      "@>",
      "<@",
      "?",
      "?|",
      "?&",
      "#-",
      "@?",
      "@@",
      "&&",
      "BETWEEN",
      "NOT BETWEEN",
      "BETWEEN SYMMETRIC",
      "NOT BETWEEN SYMMETRIC",
  };
  return Contains(kOperators, symbol);
}

}  // namespace contactsync::query
