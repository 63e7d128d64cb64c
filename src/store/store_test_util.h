#pragma once

// Test helpers shared by the store's tests and the conformance suite:
// Status/Result assertions and builders for the store's input structs (GCC's
// -Wmissing-field-initializers refuses designated initializers that leave
// out members without defaults). Test-only: never include from library code.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "model/custom_field.h"
#include "store/store.h"

namespace contactsync::store::testing {

// OK, or a failure naming the Status.
inline ::testing::AssertionResult IsOk(const base::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.ToString();
}
template <typename T>
::testing::AssertionResult IsOk(const base::Result<T>& result) {
  return IsOk(result.status());
}

// `status` failed with `code` and a message containing `fragment`.
inline ::testing::AssertionResult HasError(const base::Status& status, base::ErrorCode code,
                                           std::string_view fragment = "") {
  if (status.code() == code && status.message().find(fragment) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "expected " << base::ErrorCodeName(code) << " containing \"" << fragment << "\", got "
         << status.ToString();
}
template <typename T>
::testing::AssertionResult HasError(const base::Result<T>& result, base::ErrorCode code,
                                    std::string_view fragment = "") {
  return HasError(result.status(), code, fragment);
}

#define CS_TEST_CONCAT_INNER_(a, b) a##b
#define CS_TEST_CONCAT_(a, b) CS_TEST_CONCAT_INNER_(a, b)
// `CS_ASSERT_OK_AND_ASSIGN(auto list, store->GetList("News"));` in a test body.
#define CS_ASSERT_OK_AND_ASSIGN(decl, expr)                                                     \
  auto CS_TEST_CONCAT_(cs_test_result_, __LINE__) = (expr);                                     \
  ASSERT_TRUE(::contactsync::store::testing::IsOk(CS_TEST_CONCAT_(cs_test_result_, __LINE__))); \
  decl = std::move(CS_TEST_CONCAT_(cs_test_result_, __LINE__)).value()

inline NewList ListNamed(std::string name, std::string sender_email = "",
                         std::string description = "", std::string sender_name = "") {
  NewList list;
  list.name = std::move(name);
  list.sender_name = std::move(sender_name);
  list.sender_email = std::move(sender_email);
  list.description = std::move(description);
  return list;
}

inline model::FieldDefinition FieldNamed(std::string key, std::string label,
                                         model::FieldType type = model::FieldType::kText,
                                         std::vector<std::string> options = {},
                                         bool required = false) {
  model::FieldDefinition field;
  field.key = std::move(key);
  field.label = std::move(label);
  field.type = type;
  field.options = std::move(options);
  field.required = required;
  return field;
}

inline ContactFilter Filter(std::optional<std::string> list,
                            std::optional<SubscriptionStatus> status = std::nullopt,
                            std::string search = "", int64_t limit = 100, int64_t offset = 0) {
  ContactFilter filter;
  filter.list = std::move(list);
  filter.status = status;
  filter.search = std::move(search);
  filter.limit = limit;
  filter.offset = offset;
  return filter;
}
inline ContactFilter Search(std::string search) {
  return Filter(std::nullopt, std::nullopt, std::move(search));
}
inline ContactFilter Paged(int64_t limit, int64_t offset = 0) {
  return Filter(std::nullopt, std::nullopt, "", limit, offset);
}

}  // namespace contactsync::store::testing
