#include "source/mysql/row_fetcher.h"

#include <algorithm>
#include <cstring>

#include "source/mysql/handle.h"

namespace contactsync::source::mysql {

std::vector<ColumnInfo> RowFetcher::DescribeFields(const MYSQL_FIELD* fields, unsigned int count,
                                                   const TypeOptions& options) {
  std::vector<ColumnInfo> columns;
  columns.reserve(count);
  for (unsigned int i = 0; i < count; ++i) {
    const MYSQL_FIELD& field = fields[i];
    const FieldType type = FieldTypeOf(field);
    ColumnInfo column;
    column.name.assign(field.name != nullptr ? field.name : "", field.name_length);
    column.declared_type = TypeName(type);
    column.kind = PlanColumn(type, options).kind;
    column.nullable = (field.flags & NOT_NULL_FLAG) == 0;
    columns.push_back(std::move(column));
  }
  return columns;
}

std::unique_ptr<RowFetcher> RowFetcher::Create(MYSQL_STMT* stmt, const TypeOptions& options) {
  std::unique_ptr<RowFetcher> fetcher(new RowFetcher(stmt, options));
  if (!fetcher->Bind(/*only_if_changed=*/false)) return nullptr;
  return fetcher;
}

bool RowFetcher::Refresh() { return Bind(/*only_if_changed=*/true); }

bool RowFetcher::Bind(bool only_if_changed) {
  ResultHandle metadata(mysql_stmt_result_metadata(stmt_));
  if (!metadata) return false;
  const unsigned int count = mysql_num_fields(metadata.get());
  const MYSQL_FIELD* fields = mysql_fetch_fields(metadata.get());

  std::vector<ColumnPlan> plans;
  plans.reserve(count);
  for (unsigned int i = 0; i < count; ++i) {
    plans.push_back(PlanColumn(FieldTypeOf(fields[i]), options_));
  }
  if (only_if_changed && plans.size() == buffers_.size()) {
    bool same = true;
    for (size_t i = 0; i < plans.size(); ++i) same = same && plans[i] == buffers_[i].plan;
    if (same) return true;
  }

  columns_ = DescribeFields(fields, count, options_);
  buffers_ = std::vector<Column>(count);
  binds_ = std::vector<MYSQL_BIND>(count);
  for (unsigned int i = 0; i < count; ++i) {
    Column& column = buffers_[i];
    column.plan = plans[i];
    MYSQL_BIND& bind = binds_[i];
    std::memset(&bind, 0, sizeof(bind));
    bind.buffer_type = column.plan.buffer_type;
    bind.is_unsigned = column.plan.is_unsigned ? 1 : 0;
    bind.length = &column.length;
    bind.is_null = &column.is_null;
    bind.error = &column.error;
    switch (column.plan.buffer_type) {
      case MYSQL_TYPE_LONGLONG:
        bind.buffer = &column.integer;
        bind.buffer_length = sizeof(column.integer);
        break;
      case MYSQL_TYPE_FLOAT:
        bind.buffer = &column.float_value;
        bind.buffer_length = sizeof(column.float_value);
        break;
      case MYSQL_TYPE_DOUBLE:
        bind.buffer = &column.double_value;
        bind.buffer_length = sizeof(column.double_value);
        break;
      case MYSQL_TYPE_DATE:
      case MYSQL_TYPE_TIME:
      case MYSQL_TYPE_DATETIME:
      case MYSQL_TYPE_TIMESTAMP:
        bind.buffer = &column.time;
        bind.buffer_length = sizeof(column.time);
        break;
      case MYSQL_TYPE_NULL:
        break;
      default: {
        // Sized by the declared length so that short columns cost little; long ones are
        // refetched on demand rather than given multi-megabyte buffers up front.
        const size_t size = std::clamp<size_t>(fields[i].length + 1, 16, kMaxInlineBytes);
        column.bytes.resize(size);
        bind.buffer = column.bytes.data();
        bind.buffer_length = static_cast<unsigned long>(size);
        break;
      }
    }
  }
  return count == 0 || mysql_stmt_bind_result(stmt_, binds_.data()) == 0;
}

RowFetcher::Step RowFetcher::Next(Row& row) {
  const int rc = mysql_stmt_fetch(stmt_);
  if (rc == MYSQL_NO_DATA) return Step::kEnd;
  // MYSQL_DATA_TRUNCATED is not an error: the cells that did not fit are refetched below.
  if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) return Step::kError;

  // `row` may be a recycled one (Batch::TakeRow): its cells are overwritten
  // in place, text into the buffers they already have.
  row.resize(buffers_.size());
  for (size_t i = 0; i < buffers_.size(); ++i) {
    Column& column = buffers_[i];
    RawCell cell;
    cell.is_null = column.is_null != 0 || column.plan.format == CellFormat::kNull;
    if (!cell.is_null) {
      switch (column.plan.buffer_type) {
        case MYSQL_TYPE_LONGLONG:
          cell.integer_bits = column.integer;
          break;
        case MYSQL_TYPE_FLOAT:
          cell.float_value = column.float_value;
          break;
        case MYSQL_TYPE_DOUBLE:
          cell.double_value = column.double_value;
          break;
        case MYSQL_TYPE_DATE:
        case MYSQL_TYPE_TIME:
        case MYSQL_TYPE_DATETIME:
        case MYSQL_TYPE_TIMESTAMP:
          cell.time = column.time;
          break;
        default:
          if (column.length <= column.bytes.size()) {
            cell.bytes = std::string_view(column.bytes.data(), column.length);
            break;
          }
          // Truncated: the whole cell is still in libmariadb's row buffer until the next fetch.
          overflow_.assign(column.length, '\0');
          {
            MYSQL_BIND bind;
            std::memset(&bind, 0, sizeof(bind));
            unsigned long length = 0;
            my_bool is_null = 0;
            my_bool error = 0;
            bind.buffer_type = MYSQL_TYPE_STRING;
            bind.buffer = overflow_.data();
            bind.buffer_length = column.length;
            bind.length = &length;
            bind.is_null = &is_null;
            bind.error = &error;
            if (mysql_stmt_fetch_column(stmt_, &bind, static_cast<unsigned int>(i), 0) != 0) {
              return Step::kError;
            }
            overflow_.resize(std::min<size_t>(length, overflow_.size()));
          }
          cell.bytes = overflow_;
          break;
      }
    }
    if (!cell.is_null && column.plan.format == CellFormat::kText) {
      row[i].AssignFromText(cell.bytes);  // RenderCell's kText, without a new string
    } else {
      row[i] = RenderCell(column.plan, cell, options_);
    }
  }
  return Step::kRow;
}

}  // namespace contactsync::source::mysql
