#include "base/redact.h"

#include <gtest/gtest.h>

namespace contactsync::base {
namespace {

TEST(RedactTest, ReplacesEverySecret) {
  EXPECT_EQ(Redact("login s3cret failed for s3cret", {"s3cret"}), "login *** failed for ***");
  EXPECT_EQ(Redact("pw x in text", {"x", ""}), "pw *** in te***t");
  EXPECT_EQ(Redact("nothing here", {}), "nothing here");
}

TEST(RedactTest, HidesUrlPasswords) {
  EXPECT_EQ(Redact("cannot open postgresql://app:hunter2@db:5432/cs"),
            "cannot open postgresql://app:***@db:5432/cs");
  EXPECT_EQ(Redact("see https://example.com/a@b"), "see https://example.com/a@b");
  EXPECT_EQ(Redact("mysql://user@host/db"), "mysql://user@host/db");
}

}  // namespace
}  // namespace contactsync::base
