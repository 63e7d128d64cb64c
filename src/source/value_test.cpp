#include "source/value.h"

#include <gtest/gtest.h>

namespace contactsync::source {
namespace {

TEST(ValueTest, NullIsNotEmptyText) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value::Null().is_null());
  EXPECT_FALSE(Value::Text("").is_null());
  EXPECT_NE(Value::Null(), Value::Text(""));
  EXPECT_EQ(Value::Text("").state(), Value::State::kText);
}

TEST(ValueTest, FromTextFlagsInvalidUtf8) {
  EXPECT_EQ(Value::FromText("Zoë"), Value::Text("Zoë"));
  const Value bad = Value::FromText("A\xff");
  EXPECT_EQ(bad.state(), Value::State::kBadText);
  EXPECT_EQ(bad.bytes(), "A\xff");
  EXPECT_EQ(bad.DebugString(), "<invalid UTF-8 A\\xff>");
}

TEST(ValueTest, BinaryIsDistinctFromTextWithTheSameBytes) {
  EXPECT_NE(Value::Binary("abc"), Value::Text("abc"));
  EXPECT_EQ(Value::Binary("abc").DebugString(), "<binary 3 bytes>");
  EXPECT_EQ(Value::Null().DebugString(), "NULL");
}

TEST(ValueTest, ByteCostCountsNullsToo) {
  EXPECT_EQ(Value::Null().ByteCost(), Value::kCellOverhead);
  EXPECT_EQ(Value::Text("abcd").ByteCost(), 4 + Value::kCellOverhead);
}

TEST(ValueTest, BatchClearKeepsCapacity) {
  Batch batch;
  batch.rows.resize(100);
  batch.bytes = 1234;
  const size_t capacity = batch.rows.capacity();
  batch.Clear();
  EXPECT_TRUE(batch.rows.empty());
  EXPECT_EQ(batch.bytes, 0u);
  EXPECT_EQ(batch.rows.capacity(), capacity);
}

TEST(ValueTest, AssignFromTextChecksTheBytesLikeFromText) {
  Value value = Value::Binary("x");
  value.AssignFromText("Zoë");
  EXPECT_EQ(value, Value::Text("Zoë"));
  value.AssignFromText("A\xff");
  EXPECT_EQ(value.state(), Value::State::kBadText);
  EXPECT_EQ(value.bytes(), "A\xff");
  value.AssignFromText(std::string(100000, 'a'));
  value.AssignFromText("small");
  EXPECT_EQ(value, Value::Text("small"));
  EXPECT_LE(value.bytes().capacity(), 256u);  // one large cell's buffer is not kept
}

TEST(ValueTest, TakeRowHandsBackTheRowsOfTheClearedBatch) {
  Batch batch;
  EXPECT_TRUE(batch.TakeRow().empty());
  for (int i = 0; i < 3; ++i) batch.rows.push_back({Value::Text(std::string(40, 'a' + i))});
  batch.Clear();
  int recycled = 0;
  for (int i = 0; i < 5; ++i) {
    const Row row = batch.TakeRow();
    recycled += row.empty() ? 0 : 1;
  }
  EXPECT_EQ(recycled, 3);
  // A reader that never takes rows does not make the spare list grow.
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i) batch.rows.push_back({Value::Text("x")});
    batch.Clear();
  }
  recycled = 0;
  for (int i = 0; i < 10; ++i) recycled += batch.TakeRow().empty() ? 0 : 1;
  EXPECT_EQ(recycled, 3);
}

TEST(ValueTest, KindNamesAreStable) {
  EXPECT_EQ(ValueKindName(ValueKind::kDateTime), "date_time");
  EXPECT_EQ(ValueKindName(ValueKind::kBinary), "binary");
  EXPECT_EQ(ValueKindName(ValueKind::kUnknown), "unknown");
}

}  // namespace
}  // namespace contactsync::source
