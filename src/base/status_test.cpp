#include "base/status.h"

#include <gtest/gtest.h>

namespace contactsync::base {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgument("odd number");
  return n / 2;
}

Result<int> Quarter(int n) {
  CS_ASSIGN_OR_RETURN(int half, Half(n));
  CS_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusTest, OkByDefault) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.ToString(), "ok");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status status = NotFound("list 'News' does not exist");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_EQ(status.ToString(), "not_found: list 'News' does not exist");
  EXPECT_FALSE(status.retryable());
  EXPECT_TRUE(Unavailable("busy").retryable());
}

TEST(StatusTest, ContextKeepsCode) {
  Status status = InvalidArgument("bad").WithContext("row 3: ");
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "row 3: bad");
}

TEST(ResultTest, PropagatesFailures) {
  EXPECT_EQ(Quarter(8).value(), 2);
  Result<int> failed = Quarter(6);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "odd number");
}

}  // namespace
}  // namespace contactsync::base
