#include "base/redact.h"

#include <gtest/gtest.h>

namespace contactsync::base {
namespace {

TEST(RedactTest, ReplacesEverySecretThatStandsAsAValue) {
  EXPECT_EQ(Redact("login s3cret failed for s3cret", {"s3cret"}), "login *** failed for ***");
  EXPECT_EQ(Redact("syntax near 'hunter2 FROM t' and \"hunter2\"", {"hunter2"}),
            "syntax near '*** FROM t' and \"***\"");
  EXPECT_EQ(Redact("pw x in text", {"x", ""}), "pw *** in text");
  EXPECT_EQ(Redact("nothing here", {}), "nothing here");
}

// Issue 12: masking inside a longer name garbled the message and confirmed the password to
// anyone who knew the host ("db.nonexistent.*****" with the password "invalid").
TEST(RedactTest, LeavesNamesThatMerelyContainTheSecret) {
  EXPECT_EQ(
      Redact("could not translate host name \"db.nonexistent.invalid\" to address", {"invalid"}),
      "could not translate host name \"db.nonexistent.invalid\" to address");
  EXPECT_EQ(Redact("Access denied (using password: YES)", {"pass"}),
            "Access denied (using password: YES)");
  EXPECT_EQ(Redact("user shop_reader2", {"reader"}), "user shop_reader2");
}

TEST(RedactTest, HidesConnectionStringPasswords) {
  EXPECT_EQ(Redact("host=db password=s3cret user=app"), "host=db password=*** user=app");
  EXPECT_EQ(Redact("host=db PASSWORD='two words' user=app"), "host=db PASSWORD=*** user=app");
}

TEST(RedactTest, HidesUrlPasswords) {
  EXPECT_EQ(Redact("cannot open postgresql://app:hunter2@db:5432/cs"),
            "cannot open postgresql://app:***@db:5432/cs");
  EXPECT_EQ(Redact("see https://example.com/a@b"), "see https://example.com/a@b");
  EXPECT_EQ(Redact("mysql://user@host/db"), "mysql://user@host/db");
}

}  // namespace
}  // namespace contactsync::base
