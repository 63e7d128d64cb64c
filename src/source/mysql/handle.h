#pragma once

// Owners of the libmariadb C handles. Nothing outside source/mysql sees a raw MYSQL*,
// MYSQL_STMT* or MYSQL_RES*; these types release them exactly once.
//
// Order matters when both are alive: a statement must be closed before its connection, except
// when a reader abandons a half-read result (see reader.cpp), because mysql_stmt_close on an
// open connection first reads every remaining row; mysql_close detaches the connection's
// statements so that closing them afterwards only frees memory.
//
// Thread safety: none; a handle belongs to one thread at a time.

#include <mysql.h>

#include <memory>

namespace contactsync::source::mysql {

struct CloseConnection {
  void operator()(MYSQL* connection) const { mysql_close(connection); }
};
struct CloseStatement {
  void operator()(MYSQL_STMT* statement) const { mysql_stmt_close(statement); }
};
struct FreeResult {
  void operator()(MYSQL_RES* result) const { mysql_free_result(result); }
};

// Move-only, copy deleted (std::unique_ptr), null when empty.
using ConnectionHandle = std::unique_ptr<MYSQL, CloseConnection>;
using StatementHandle = std::unique_ptr<MYSQL_STMT, CloseStatement>;
using ResultHandle = std::unique_ptr<MYSQL_RES, FreeResult>;

}  // namespace contactsync::source::mysql
