#include "source/mysql/grants.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace contactsync::source::mysql {
namespace {

struct Case {
  std::vector<std::string> grants;
  std::string database;
  bool can_write;
};

TEST(GrantsCanWriteTest, Table) {
  const std::vector<Case> cases = {
      {{"GRANT ALL PRIVILEGES ON *.* TO `cs_admin`@`%` IDENTIFIED BY PASSWORD '*AE62' WITH "
        "GRANT OPTION"},
       "shop",
       true},
      {{"GRANT USAGE ON *.* TO `cs_reader`@`%` IDENTIFIED BY PASSWORD '*1A0A'",
        "GRANT SELECT, SHOW VIEW ON `shop`.* TO `cs_reader`@`%`"},
       "shop",
       false},
      {{"GRANT SELECT, INSERT ON `shop`.* TO `u`@`%`"}, "shop", true},
      {{"GRANT SELECT, INSERT ON `other`.* TO `u`@`%`", "GRANT SELECT ON `shop`.* TO `u`@`%`"},
       "shop",
       false},
      {{"GRANT UPDATE (`email`) ON `shop`.`customers` TO `u`@`%`"}, "shop", true},
      {{"GRANT DELETE HISTORY ON `shop`.* TO `u`@`%`"}, "shop", true},
      {{"GRANT CREATE TEMPORARY TABLES ON `shop`.* TO `u`@`%`"}, "shop", true},
      {{"GRANT FILE ON *.* TO `u`@`%`"}, "shop", true},
      {{"GRANT SUPER ON *.* TO `u`@`%`"}, "shop", true},
      {{"GRANT PROCESS, SELECT ON *.* TO `u`@`%`"}, "shop", false},
      {{"GRANT SELECT, ALTER ON `sh\\_p`.* TO `u`@`%`"}, "sh_p", true},
      {{"GRANT DROP ON `sh%`.* TO `u`@`%`"}, "shop", true},
      {{"GRANT DROP ON `sh%`.* TO `u`@`%`"}, "crm", false},
      {{"GRANT `app_writer` TO `u`@`%`"}, "shop", false},
      {{"GRANT EXECUTE, ALTER ROUTINE ON PROCEDURE `shop`.`p` TO `u`@`%`"}, "shop", false},
      {{"GRANT SELECT ON `we``ird`.* TO `u`@`%`", "GRANT INSERT ON `we``ird`.* TO `u`@`%`"},
       "we`ird",
       true},
      {{"GRANT SELECT (`insert`) ON `shop`.`t` TO `u`@`%`"}, "shop", false},
      {{}, "shop", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << (c.grants.empty() ? "" : c.grants[0]) << " / " << c.database);
    EXPECT_EQ(GrantsCanWrite(c.grants, c.database), c.can_write);
  }
}

TEST(GrantsCanWriteTest, EventsAndTriggersWrite) {
  EXPECT_TRUE(GrantsCanWrite({"GRANT SELECT, EVENT ON `shop`.* TO `u`@`%`"}, "shop"));
  EXPECT_TRUE(GrantsCanWrite({"GRANT TRIGGER ON `shop`.`t` TO `u`@`%`"}, "shop"));
}

TEST(GrantsPrivilegesTest, NamesTheRightsBeyondData) {
  using List = std::vector<std::string>;
  EXPECT_EQ(GrantsPrivileges({"GRANT ALL PRIVILEGES ON *.* TO `cs_admin`@`%` IDENTIFIED BY "
                              "PASSWORD '*AE62' WITH GRANT OPTION"}),
            (List{"ALL PRIVILEGES", "GRANT OPTION"}));
  EXPECT_EQ(GrantsPrivileges({"GRANT USAGE ON *.* TO `r`@`%` IDENTIFIED BY PASSWORD '*1A0A'",
                              "GRANT SELECT, SHOW VIEW ON `shop`.* TO `r`@`%`"}),
            List{});
  // Every global right beyond data, by the names MariaDB 10.11 prints.
  EXPECT_EQ(
      GrantsPrivileges({"GRANT SELECT, RELOAD, SHUTDOWN, PROCESS, FILE, SUPER, CREATE USER, "
                        "CREATE TABLESPACE, BINLOG MONITOR, REPLICATION SLAVE, SET USER, "
                        "FEDERATED ADMIN, CONNECTION ADMIN, READ_ONLY ADMIN, REPLICATION "
                        "SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG ADMIN, BINLOG "
                        "REPLAY, SLAVE MONITOR ON *.* TO `u`@`%`"}),
      (List{"RELOAD", "SHUTDOWN", "PROCESS", "FILE", "SUPER", "CREATE USER", "CREATE TABLESPACE",
            "BINLOG MONITOR", "REPLICATION SLAVE", "SET USER", "FEDERATED ADMIN",
            "CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN",
            "REPLICATION MASTER ADMIN", "BINLOG ADMIN", "BINLOG REPLAY", "SLAVE MONITOR"}));
  // Global data rights are can_write's business, not privileges.
  EXPECT_EQ(GrantsPrivileges({"GRANT SELECT, INSERT, SHOW DATABASES ON *.* TO `u`@`%`"}), List{});
  // The same rights on one database are not global: FILE or PROCESS cannot be given there, and
  // a database-level grant option only passes on that database's rights.
  EXPECT_EQ(GrantsPrivileges({"GRANT SELECT ON `shop`.* TO `u`@`%` WITH GRANT OPTION"}), List{});
  // Writing the mysql database rewrites accounts and rights.
  EXPECT_EQ(GrantsPrivileges({"GRANT SELECT, UPDATE ON `mysql`.* TO `u`@`%`"}),
            (List{"write access to the mysql database"}));
  EXPECT_EQ(GrantsPrivileges({"GRANT INSERT ON `%`.* TO `u`@`%`"}),
            (List{"write access to the mysql database"}));
  EXPECT_EQ(GrantsPrivileges({"GRANT SELECT ON `mysql`.* TO `u`@`%`"}), List{});
  // A role's own lines (SHOW GRANTS lists the default role's) count; each name once.
  EXPECT_EQ(GrantsPrivileges({"GRANT `ops` TO `u`@`%`", "GRANT PROCESS ON *.* TO `u`@`%`",
                              "GRANT PROCESS, FILE ON *.* TO `ops`"}),
            (List{"PROCESS", "FILE"}));
  // Routine grants are never privileges by themselves.
  EXPECT_EQ(GrantsPrivileges({"GRANT EXECUTE ON PROCEDURE `mysql`.`p` TO `u`@`%`"}), List{});
}

}  // namespace
}  // namespace contactsync::source::mysql
