#pragma once

// The behaviour every ConnectionStore must have (connection_store.h): saved
// connections kept as given, sealed password bytes intact. The interface
// stands alone, so a backend gives a factory of it alone
// (interface_conformance.h); instantiated per backend in
// store_conformance_test.cpp. Include in exactly one .cpp file per test
// binary: it defines the tests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "store/connection_store.h"
#include "store/interface_conformance.h"

namespace contactsync::store::testing {

using ConnectionStoreFactory = InterfaceFactory<ConnectionStore>;

class ConnectionStoreConformance : public InterfaceConformance<ConnectionStore> {};

inline ConnectionRecord ConnectionNamed(std::string name, std::string sealed = "") {
  ConnectionRecord record;
  record.owner_id = "owner-" + name;
  record.name = std::move(name);
  record.type = "mysql";
  record.host = "db.example";
  record.port = 3306;
  record.user = "reader";
  record.sealed_password = std::move(sealed);
  record.database = "shop";
  record.tls_mode = "prefer";
  record.connect_timeout_s = 10;
  record.query_timeout_s = 300;
  return record;
}

TEST_P(ConnectionStoreConformance, SavesConnectionsWithSealedBytesIntact) {
  const std::string sealed("\x00\xff\x01sealed\x00", 10);
  CS_ASSERT_OK_AND_ASSIGN(ConnectionRecord created,
                          store_->CreateConnection(ConnectionNamed(" shop ", sealed)));
  EXPECT_EQ(created.name, "shop");
  EXPECT_EQ(created.created_at, kStartText);
  CS_ASSERT_OK_AND_ASSIGN(ConnectionRecord read, store_->GetConnection("shop"));
  EXPECT_EQ(read.sealed_password, sealed);
  EXPECT_EQ(read.owner_id, "owner- shop ");
  EXPECT_EQ(read.port, 3306);
  EXPECT_EQ(read.database, "shop");
  EXPECT_TRUE(
      HasError(store_->CreateConnection(ConnectionNamed("shop")), ErrorCode::kAlreadyExists));
  EXPECT_TRUE(HasError(store_->GetConnection("nope"), ErrorCode::kNotFound));
}

TEST_P(ConnectionStoreConformance, UpdatesAndDeletesConnections) {
  ASSERT_TRUE(IsOk(store_->CreateConnection(ConnectionNamed("b"))));
  ASSERT_TRUE(IsOk(store_->CreateConnection(ConnectionNamed("a"))));
  clock_.Advance(std::chrono::seconds(5));
  ConnectionRecord change = ConnectionNamed("a", "new-secret");
  change.owner_id = "someone-else";
  change.host = "other.example";
  CS_ASSERT_OK_AND_ASSIGN(ConnectionRecord updated, store_->UpdateConnection(change));
  EXPECT_EQ(updated.owner_id, "owner-a");  // fixed at creation
  EXPECT_EQ(updated.created_at, kStartText);
  EXPECT_NE(updated.updated_at, kStartText);
  CS_ASSERT_OK_AND_ASSIGN(auto all, store_->GetConnections());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a");
  EXPECT_EQ(all[0].host, "other.example");
  EXPECT_EQ(all[0].sealed_password, "new-secret");
  EXPECT_TRUE(HasError(store_->UpdateConnection(ConnectionNamed("zzz")), ErrorCode::kNotFound));
  EXPECT_TRUE(IsOk(store_->DeleteConnection("a")));
  EXPECT_TRUE(HasError(store_->DeleteConnection("a"), ErrorCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(all, store_->GetConnections());
  EXPECT_EQ(all.size(), 1u);
}

TEST_P(ConnectionStoreConformance, KeepsEachConnectionsCustomQueryPolicy) {
  CS_ASSERT_OK_AND_ASSIGN(ConnectionRecord closed,
                          store_->CreateConnection(ConnectionNamed("closed")));
  EXPECT_TRUE(closed.allowed_functions.empty());
  EXPECT_FALSE(closed.allow_custom_query_with_privileged_account);
  ConnectionRecord permissive = ConnectionNamed("open");
  permissive.allowed_functions = {"shop.discount", "f\"quoted\"", "shop_discount"};
  permissive.allow_custom_query_with_privileged_account = true;
  ASSERT_TRUE(IsOk(store_->CreateConnection(permissive)));
  CS_ASSERT_OK_AND_ASSIGN(ConnectionRecord read, store_->GetConnection("open"));
  EXPECT_EQ(read.allowed_functions, permissive.allowed_functions);
  EXPECT_TRUE(read.allow_custom_query_with_privileged_account);

  read.allowed_functions = {"other"};
  read.allow_custom_query_with_privileged_account = false;
  ASSERT_TRUE(IsOk(store_->UpdateConnection(read)));
  CS_ASSERT_OK_AND_ASSIGN(ConnectionRecord updated, store_->GetConnection("open"));
  EXPECT_EQ(updated.allowed_functions, std::vector<std::string>{"other"});
  EXPECT_FALSE(updated.allow_custom_query_with_privileged_account);
  CS_ASSERT_OK_AND_ASSIGN(ConnectionRecord untouched, store_->GetConnection("closed"));
  EXPECT_TRUE(untouched.allowed_functions.empty());

  ConnectionRecord bad = ConnectionNamed("bad");
  bad.allowed_functions = {""};
  EXPECT_TRUE(HasError(store_->CreateConnection(bad), ErrorCode::kInvalidArgument));
}

TEST_P(ConnectionStoreConformance, RefusesBadConnectionNamesAndSettings) {
  EXPECT_TRUE(
      HasError(store_->CreateConnection(ConnectionNamed("  ")), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(
      HasError(store_->CreateConnection(ConnectionNamed("a\nb")), ErrorCode::kInvalidArgument));
  ConnectionRecord bad_host = ConnectionNamed("x");
  bad_host.host = "db\xff";
  EXPECT_TRUE(HasError(store_->CreateConnection(bad_host), ErrorCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(auto all, store_->GetConnections());
  EXPECT_TRUE(all.empty());
}

}  // namespace contactsync::store::testing
