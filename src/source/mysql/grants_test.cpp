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

}  // namespace
}  // namespace contactsync::source::mysql
