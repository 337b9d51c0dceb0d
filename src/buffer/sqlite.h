// Thin RAII over the SQLite C API: a connection and prepared statements. Errors throw
// SqliteError carrying the SQLite result code (the Buffer turns them into statuses).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gw::sql {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  // Full disk, or the file is not a database / is corrupt.
  bool is_full() const { return (code_ & 0xff) == SQLITE_FULL; }
  bool is_corrupt() const {
    return (code_ & 0xff) == SQLITE_CORRUPT || (code_ & 0xff) == SQLITE_NOTADB;
  }

 private:
  int code_;
};

class Statement;

class Connection {
 public:
  Connection(const std::string& path, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const std::string& sql);
  Statement prepare(std::string_view sql);
  // The same, prepared once per connection and kept for the next call (hot paths): the handle
  // resets the statement when it goes, instead of finalizing it.
  Statement reuse(std::string_view sql);
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* get() const { return db_; }
  [[noreturn]] void fail(int rc, std::string_view context) const;

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*, std::less<>> reused_;
};

class Statement {
  friend class Connection;

 public:
  Statement(Connection& c, sqlite3_stmt* s, bool owned = true)
      : conn_(&c), stmt_(s), owned_(owned) {}
  ~Statement() {
    if (owned_)
      sqlite3_finalize(stmt_);
    else if (stmt_)
      reset();
  }
  Statement(Statement&& o) noexcept : conn_(o.conn_), stmt_(o.stmt_), owned_(o.owned_) {
    o.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::string_view text);
  // Not copied: `blob` must stay valid until the statement has run (or is reset).
  Statement& bind_blob(int i, std::string_view blob);
  // True while a row is available.
  bool step();
  void run();  // step to completion, then reset
  void reset();
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const;
  std::string blob(int col) const;

 private:
  Connection* conn_;
  sqlite3_stmt* stmt_;
  bool owned_;
};

}  // namespace gw::sql
