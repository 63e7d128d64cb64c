// The sync batch rules (sync_batch_rules.h) without SQLite: MemoryBatchWriter
// below is a storage double (maps in memory) that implements the primitives
// and decides nothing, so every outcome here is RuleBasedSyncBatchWriter's.

#include "store/sync_batch_rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/store_rules.h"
#include "store/store_test_util.h"

namespace contactsync::store {
namespace {

using testing::IsOk;
using S = SubscriptionStatus;
using R = SyncRowResult;

constexpr int64_t kCity = 7;
constexpr int64_t kSize = 8;

struct StoredContact {
  std::string email{};
  std::string first_name{};
  std::string last_name{};
  std::string phone{};
  bool bounced = false;
  bool ever_unsubscribed = false;
  std::string fields_json{};
};

struct StoredSubscription {
  S status = S::kActive;
  std::optional<int64_t> hash;
};

// The store of one list, and what the writer asked of it.
struct Memory {
  std::map<int64_t, StoredContact> contacts;
  std::map<int64_t, StoredSubscription> subscriptions;  // on the list, by contact id
  std::vector<std::string> exclusions;
  std::vector<RunFailure> failures;  // recorded for the run
  int64_t next_id = 1;
  int writes = 0;
  int detail_loads = 0;
  int field_loads = 0;

  int64_t Add(StoredContact contact, std::optional<S> status = std::nullopt,
              std::optional<int64_t> hash = std::nullopt) {
    const int64_t id = next_id++;
    contacts[id] = std::move(contact);
    if (status) subscriptions[id] = {*status, hash};
    return id;
  }
  const StoredContact* Find(std::string_view key) const {
    for (const auto& [id, contact] : contacts) {
      if (LookupEmailKey(contact.email) == key) return &contact;
    }
    return nullptr;
  }
  int64_t IdOf(std::string_view key) const {
    for (const auto& [id, contact] : contacts) {
      if (LookupEmailKey(contact.email) == key) return id;
    }
    return 0;
  }
};

class MemoryBatchWriter final : public RuleBasedSyncBatchWriter {
 public:
  MemoryBatchWriter(Memory& memory, const SyncBatchOptions& options,
                    std::vector<CustomField> fields)
      : RuleBasedSyncBatchWriter(options, "News", std::move(fields)), memory_(memory) {}

  base::Status Commit() override { return base::Status::Ok(); }
  bool BulkImport() const override { return false; }

 private:
  base::Status BeginBatch() override { return base::Status::Ok(); }
  void AbandonBatch() override {}
  base::Status LoadExclusions(std::vector<std::string>& patterns) override {
    patterns = memory_.exclusions;
    return base::Status::Ok();
  }
  base::Status LookUpContacts(const std::vector<SyncRow>& rows, size_t count,
                              const BatchAddresses& addresses, std::vector<char>& found,
                              std::vector<BatchContact>& contacts) override {
    for (size_t i = 0; i < count; ++i) {
      if (addresses.Repeated(i)) continue;
      const int64_t id = memory_.IdOf(rows[i].email_key);
      if (id == 0) continue;
      found[i] = 1;
      const StoredContact& stored = memory_.contacts.at(id);
      BatchContact& contact = contacts[i];
      contact = BatchContact{};  // without details: the rules ask for them
      contact.id = id;
      contact.bounced = stored.bounced;
      contact.ever_unsubscribed = stored.ever_unsubscribed;
      if (const auto s = memory_.subscriptions.find(id); s != memory_.subscriptions.end()) {
        contact.status = s->second.status;
        contact.hash = s->second.hash;
      }
    }
    return base::Status::Ok();
  }
  base::Status LoadDetails(BatchContact& contact) override {
    ++memory_.detail_loads;
    const StoredContact& stored = memory_.contacts.at(contact.id);
    contact.email = stored.email;
    contact.first_name = stored.first_name;
    contact.last_name = stored.last_name;
    contact.phone = stored.phone;
    return base::Status::Ok();
  }
  base::Status LoadFieldsJson(int64_t contact_id, std::string& json) override {
    ++memory_.field_loads;
    json = memory_.contacts.at(contact_id).fields_json;
    return base::Status::Ok();
  }
  base::Result<bool> MarkSeen(int64_t contact_id, const std::string& key) override {
    return contact_id > 0 ? seen_ids_.insert(contact_id).second : seen_keys_.insert(key).second;
  }
  base::Result<bool> KeySeen(const std::string& key) override { return seen_keys_.contains(key); }
  base::Result<int64_t> InsertContact(const NewContactWrite& contact) override {
    ++memory_.writes;
    const SyncRow& row = contact.row;
    return memory_.Add({.email = row.email,
                        .first_name = row.first_name.value_or(""),
                        .last_name = row.last_name.value_or(""),
                        .phone = row.phone.value_or(""),
                        .bounced = false,
                        .ever_unsubscribed = contact.ever_unsubscribed,
                        .fields_json = std::string(contact.fields_json)});
  }
  base::Status UpdateContact(const ContactUpdate& update) override {
    ++memory_.writes;
    StoredContact& stored = memory_.contacts.at(update.id);
    stored.first_name = update.first_name;
    stored.last_name = update.last_name;
    stored.phone = update.phone;
    stored.ever_unsubscribed = update.ever_unsubscribed;
    if (update.fields_changed) stored.fields_json = update.fields_json;
    return base::Status::Ok();
  }
  base::Status EnterList(int64_t contact_id, S status, std::optional<int64_t> hash) override {
    ++memory_.writes;
    memory_.subscriptions[contact_id] = {status, hash};
    return base::Status::Ok();
  }
  base::Status WriteHash(int64_t contact_id, int64_t hash) override {
    ++memory_.writes;
    memory_.subscriptions.at(contact_id).hash = hash;
    return base::Status::Ok();
  }
  base::Status InsertExclusion(const std::string& pattern) override {
    ++memory_.writes;
    memory_.exclusions.push_back(pattern);
    return base::Status::Ok();
  }
  base::Status InsertRunFailures(const std::vector<RunFailure>& failures) override {
    memory_.failures.insert(memory_.failures.end(), failures.begin(), failures.end());
    return base::Status::Ok();
  }
  base::Result<DeletionOutcome> InDeletionTransaction(
      const std::function<base::Result<DeletionOutcome>()>& body) override {
    return body();
  }
  base::Result<int64_t> CountListSubscriptions() override {
    return static_cast<int64_t>(memory_.subscriptions.size());
  }
  base::Status ListNotSelected(std::vector<DeletionCandidate>& candidates) override {
    for (const auto& [id, subscription] : memory_.subscriptions) {
      const std::string key = LookupEmailKey(memory_.contacts.at(id).email);
      if (!DeletionMayRemove(subscription.status) || seen_ids_.contains(id) ||
          seen_keys_.contains(key)) {
        continue;
      }
      candidates.push_back({id, key, subscription.status});
    }
    return base::Status::Ok();
  }
  base::Result<bool> RemoveFromList(const DeletionCandidate& candidate) override {
    ++memory_.writes;
    memory_.subscriptions.erase(candidate.contact_id);
    const StoredContact& contact = memory_.contacts.at(candidate.contact_id);
    const bool named = std::find(memory_.exclusions.begin(), memory_.exclusions.end(),
                                 candidate.email_key) != memory_.exclusions.end();
    if (!DeletesOrphanContact({.has_other_subscriptions = false,
                               .bounced = contact.bounced,
                               .ever_unsubscribed = contact.ever_unsubscribed,
                               .named_by_exclusion = named})) {
      return false;
    }
    memory_.contacts.erase(candidate.contact_id);
    return true;
  }

  Memory& memory_;
  std::set<int64_t> seen_ids_;
  std::set<std::string> seen_keys_;
};

SyncRow Row(std::string email, std::optional<std::string> first = std::nullopt,
            std::vector<std::pair<std::string, std::string>> fields = {}) {
  SyncRow row;
  row.email_key = LookupEmailKey(email);
  row.email = std::move(email);
  row.first_name = std::move(first);
  row.fields = std::move(fields);
  return row;
}

SyncRow FailedRow(std::string email) {
  SyncRow row = Row(std::move(email));
  row.failed = true;
  return row;
}

CustomField Field(int64_t id, std::string key, model::FieldType type, bool required = false) {
  CustomField field;
  field.id = id;
  field.definition.key = std::move(key);
  field.definition.label = field.definition.key;
  field.definition.type = type;
  field.definition.required = required;
  return field;
}

class SyncBatchRulesTest : public ::testing::Test {
 protected:
  std::unique_ptr<MemoryBatchWriter> Writer(SyncEntryStatus status = SyncEntryStatus::kActive,
                                            bool update_existing = true, bool dry_run = false) {
    SyncBatchOptions options;
    options.list = "News";
    options.status = status;
    options.update_existing = update_existing;
    options.dry_run = dry_run;
    options.sync_id = 3;
    options.run_id = 1;
    options.cause = {model::CauseKind::kSyncRun, "1"};
    return std::make_unique<MemoryBatchWriter>(memory_, options, fields_);
  }

  std::vector<SyncRowOutcome> Write(SyncBatchWriter& writer, std::vector<SyncRow> rows) {
    std::vector<SyncRowOutcome> outcomes;
    EXPECT_TRUE(IsOk(writer.Write(rows, rows.size(), outcomes)));
    return outcomes;
  }
  std::vector<SyncRowOutcome> Run(std::vector<SyncRow> rows,
                                  SyncEntryStatus status = SyncEntryStatus::kActive) {
    auto writer = Writer(status);
    return Write(*writer, std::move(rows));
  }
  SyncRowOutcome RunOne(SyncRow row, SyncEntryStatus status = SyncEntryStatus::kActive) {
    return Run({std::move(row)}, status).at(0);
  }

  Memory memory_;
  std::vector<CustomField> fields_{Field(kCity, "CITY", model::FieldType::kText),
                                   Field(kSize, "SIZE", model::FieldType::kNumber)};
};

TEST_F(SyncBatchRulesTest, NewContactsEnterWithTheSyncsStatusValuesAndHash) {
  const std::pair<SyncEntryStatus, S> cases[] = {
      {SyncEntryStatus::kActive, S::kActive},
      {SyncEntryStatus::kUnconfirmed, S::kUnconfirmed},
      {SyncEntryStatus::kUnsubscribed, S::kUnsubscribed}};
  for (const auto& [entry, status] : cases) {
    memory_ = Memory{};
    const SyncRowOutcome outcome =
        RunOne(Row("Ann@X.example", "Ann", {{"CITY", "Oslo"}, {"SIZE", ""}}), entry);
    EXPECT_EQ(outcome.result, R::kAdded);
    const int64_t id = memory_.IdOf("ann@x.example");
    ASSERT_NE(id, 0);
    const StoredContact& stored = memory_.contacts.at(id);
    EXPECT_EQ(stored.email, "Ann@X.example");
    EXPECT_EQ(stored.first_name, "Ann");
    EXPECT_EQ(stored.fields_json, R"({"7":"Oslo"})");
    EXPECT_EQ(stored.ever_unsubscribed, status == S::kUnsubscribed);
    EXPECT_EQ(memory_.subscriptions.at(id).status, status);
    EXPECT_TRUE(memory_.subscriptions.at(id).hash.has_value());
  }
}

TEST_F(SyncBatchRulesTest, AReSyncOfTheSameValuesIsUnchangedWithoutReadingTheContact) {
  for (const SyncEntryStatus entry : {SyncEntryStatus::kActive, SyncEntryStatus::kUnconfirmed}) {
    memory_ = Memory{};
    const SyncRow row = Row("a@x.example", "A", {{"CITY", "Oslo"}});
    ASSERT_EQ(RunOne(row, entry).result, R::kAdded);
    const int writes = memory_.writes;
    EXPECT_EQ(RunOne(row, entry).result, R::kUnchanged);
    EXPECT_EQ(memory_.writes, writes);
    EXPECT_EQ(memory_.detail_loads, 0);
    EXPECT_EQ(memory_.field_loads, 0);
  }
}

TEST_F(SyncBatchRulesTest, AContactWithoutTheHashIsComparedAndGetsIt) {
  const int64_t id = memory_.Add({.email = "a@x.example", .first_name = "A"}, S::kActive);
  EXPECT_EQ(RunOne(Row("a@x.example", "A")).result, R::kUnchanged);
  EXPECT_EQ(memory_.detail_loads, 1);
  EXPECT_TRUE(memory_.subscriptions.at(id).hash.has_value());
  EXPECT_EQ(RunOne(Row("a@x.example", "A")).result, R::kUnchanged);
  EXPECT_EQ(memory_.detail_loads, 1);  // the hash now says so
}

TEST_F(SyncBatchRulesTest, ChangedNamesPhoneAndValuesUpdateTheContact) {
  const int64_t id = memory_.Add({.email = "a@x.example",
                                  .first_name = "A",
                                  .last_name = "Old",
                                  .phone = "1",
                                  .fields_json = R"({"7":"Oslo","8":"5"})"},
                                 S::kActive);
  SyncRow row = Row("a@x.example", "B");
  row.phone = "2";  // last name not mapped: stays
  EXPECT_EQ(RunOne(row).result, R::kUpdated);
  EXPECT_EQ(memory_.contacts.at(id).first_name, "B");
  EXPECT_EQ(memory_.contacts.at(id).last_name, "Old");
  EXPECT_EQ(memory_.contacts.at(id).phone, "2");
  EXPECT_EQ(memory_.contacts.at(id).fields_json, R"({"7":"Oslo","8":"5"})");

  // One custom value changes; the other stays.
  EXPECT_EQ(RunOne(Row("a@x.example", "B", {{"CITY", "Bergen"}})).result, R::kUpdated);
  EXPECT_EQ(memory_.contacts.at(id).fields_json, R"({"7":"Bergen","8":"5"})");
  // A blank value clears it; the last one gone leaves no object.
  EXPECT_EQ(RunOne(Row("a@x.example", "B", {{"CITY", ""}})).result, R::kUpdated);
  EXPECT_EQ(memory_.contacts.at(id).fields_json, R"({"8":"5"})");
  EXPECT_EQ(RunOne(Row("a@x.example", "B", {{"SIZE", " "}})).result, R::kUpdated);
  EXPECT_EQ(memory_.contacts.at(id).fields_json, "");
  // The same values again: unchanged.
  EXPECT_EQ(RunOne(Row("a@x.example", "B", {{"SIZE", ""}})).result, R::kUnchanged);
  EXPECT_EQ(memory_.subscriptions.at(id).status, S::kActive);
}

TEST_F(SyncBatchRulesTest, WithoutUpdateExistingAContactOnTheListIsSkipped) {
  const int64_t id = memory_.Add({.email = "a@x.example", .first_name = "A"}, S::kActive);
  auto writer = Writer(SyncEntryStatus::kActive, /*update_existing=*/false);
  EXPECT_EQ(Write(*writer, {Row("a@x.example", "B")}).at(0).result, R::kSkipped);
  EXPECT_EQ(memory_.contacts.at(id).first_name, "A");
  EXPECT_EQ(memory_.writes, 0);
}

TEST_F(SyncBatchRulesTest, WithoutUpdateExistingAContactJoinsTheListWithItsOwnValues) {
  const int64_t id = memory_.Add({.email = "a@x.example", .first_name = "A"});
  auto writer = Writer(SyncEntryStatus::kUnsubscribed, /*update_existing=*/false);
  EXPECT_EQ(Write(*writer, {Row("a@x.example", "B")}).at(0).result, R::kAdded);
  EXPECT_EQ(memory_.subscriptions.at(id).status, S::kUnsubscribed);
  EXPECT_EQ(memory_.contacts.at(id).first_name, "A");
  EXPECT_TRUE(memory_.contacts.at(id).ever_unsubscribed);  // only the flag changed
  EXPECT_FALSE(memory_.subscriptions.at(id).hash.has_value());
}

TEST_F(SyncBatchRulesTest, BouncedAndUnsubscribedContactsFailWithTheirReasons) {
  memory_.Add({.email = "b@x.example", .bounced = true});
  memory_.Add({.email = "c@x.example"}, S::kBounced);
  memory_.Add({.email = "U@x.example"}, S::kUnsubscribed);
  const auto outcomes = Run({Row("b@x.example", "B"), Row("c@x.example"), Row("u@x.example", "U")});
  EXPECT_EQ(outcomes[0].result, R::kFailed);
  EXPECT_EQ(outcomes[0].reason, "bounced");
  EXPECT_EQ(outcomes[0].message, "b@x.example bounced; a sync never subscribes it again");
  EXPECT_EQ(outcomes[1].reason, "bounced");
  EXPECT_EQ(outcomes[2].result, R::kFailed);
  EXPECT_EQ(outcomes[2].reason, "previously_unsubscribed");
  EXPECT_EQ(outcomes[2].message,
            "U@x.example unsubscribed from list 'News'; a sync never subscribes it again");
  EXPECT_EQ(memory_.writes, 0);
}

TEST_F(SyncBatchRulesTest, AnUnsubscribedSyncUpdatesAnUnsubscribedContact) {
  const int64_t id = memory_.Add({.email = "u@x.example", .first_name = "U"}, S::kUnsubscribed);
  EXPECT_EQ(RunOne(Row("u@x.example", "V"), SyncEntryStatus::kUnsubscribed).result, R::kUpdated);
  EXPECT_EQ(memory_.contacts.at(id).first_name, "V");
  EXPECT_EQ(memory_.subscriptions.at(id).status, S::kUnsubscribed);
}

TEST_F(SyncBatchRulesTest, ARepeatedAddressFailsInTheBatchAndInLaterBatches) {
  memory_.Add({.email = "old@x.example"}, S::kActive);
  auto writer = Writer();
  const auto first = Write(*writer, {Row("new@x.example", "1"), Row("NEW@x.example", "2"),
                                     Row("old@x.example"), Row("Old@x.example")});
  EXPECT_EQ(first[0].result, R::kAdded);
  EXPECT_EQ(first[1].result, R::kFailed);
  EXPECT_EQ(first[1].reason, "duplicate_in_source");
  EXPECT_EQ(first[1].message, "NEW@x.example appeared earlier in this run; the first row wins");
  EXPECT_EQ(first[2].result, R::kUnchanged);
  EXPECT_EQ(first[3].reason, "duplicate_in_source");
  const auto second = Write(*writer, {Row("new@x.example", "3"), Row("old@x.example")});
  EXPECT_EQ(second[0].reason, "duplicate_in_source");
  EXPECT_EQ(second[1].reason, "duplicate_in_source");
  EXPECT_EQ(memory_.contacts.at(memory_.IdOf("new@x.example")).first_name, "1");  // first wins
}

TEST_F(SyncBatchRulesTest, ARowThatFailedInMappingKeepsItsFailureAndMarksItsAddress) {
  memory_.Add({.email = "old@x.example"}, S::kActive);
  auto writer = Writer();
  const auto first = Write(*writer, {FailedRow("new@x.example"), FailedRow("old@x.example"),
                                     FailedRow("new@x.example")});
  for (const SyncRowOutcome& outcome : first) EXPECT_EQ(outcome.result, R::kNone);
  EXPECT_EQ(memory_.IdOf("new@x.example"), 0);
  const auto second = Write(*writer, {Row("new@x.example"), Row("old@x.example")});
  EXPECT_EQ(second[0].reason, "duplicate_in_source");
  EXPECT_EQ(second[1].reason, "duplicate_in_source");
  EXPECT_EQ(memory_.IdOf("new@x.example"), 0);
}

TEST_F(SyncBatchRulesTest, ARequiredFieldIsNeededForANewContactAndNeverBlank) {
  fields_.push_back(Field(9, "ZIP", model::FieldType::kText, /*required=*/true));
  const auto outcomes = Run({Row("a@x.example", "A"), Row("b@x.example", "B", {{"ZIP", " "}})});
  EXPECT_EQ(outcomes[0].reason, "required_field_missing");
  EXPECT_EQ(outcomes[0].message, "custom field ZIP is required");
  EXPECT_EQ(outcomes[1].reason, "required_field_missing");
  EXPECT_EQ(outcomes[1].message, "field ZIP is required but blank");
  EXPECT_TRUE(memory_.contacts.empty());
  // An existing contact needs no value it does not change.
  memory_.Add({.email = "c@x.example"}, S::kActive);
  EXPECT_EQ(RunOne(Row("c@x.example", "C")).result, R::kUpdated);
}

TEST_F(SyncBatchRulesTest, AnInvalidValueOrUnknownFieldFailsTheRow) {
  const auto outcomes =
      Run({Row("a@x.example", "A", {{"SIZE", "big"}}), Row("b@x.example", "B", {{"COLOUR", "red"}}),
           Row("c@x.example", std::string("bad\0name", 8))});
  for (const SyncRowOutcome& outcome : outcomes) {
    EXPECT_EQ(outcome.result, R::kFailed);
    EXPECT_EQ(outcome.reason, "field_invalid");
  }
  EXPECT_NE(outcomes[1].message.find("COLOUR"), std::string::npos) << outcomes[1].message;
  EXPECT_TRUE(memory_.contacts.empty());
}

// The mapping normalised the values by the definitions it read; a field the store still
// defines so is not normalised again, one that changed since (SIZE: text then, a number now)
// is, and its value fails as any other would.
TEST_F(SyncBatchRulesTest, ValuesAreNormalisedAgainOnlyForAFieldThatChangedSinceTheMapping) {
  SyncBatchOptions options;
  options.list = "News";
  options.sync_id = 3;
  options.cause = {model::CauseKind::kSyncRun, "1"};
  options.rows_normalised_by = {fields_[0].definition, fields_[1].definition};
  options.rows_normalised_by[1].type = model::FieldType::kText;
  MemoryBatchWriter writer(memory_, options, fields_);
  const auto outcomes = Write(writer, {Row("a@x.example", "A", {{"SIZE", "big"}}),
                                       Row("b@x.example", "B", {{"CITY", "Oslo"}, {"SIZE", "7"}})});
  EXPECT_EQ(outcomes[0].result, R::kFailed);
  EXPECT_EQ(outcomes[0].reason, "field_invalid");
  EXPECT_EQ(outcomes[1].result, R::kAdded);
  EXPECT_EQ(memory_.contacts.at(memory_.IdOf("b@x.example")).fields_json,
            R"({"7":"Oslo","8":"7"})");
}

TEST_F(SyncBatchRulesTest, AnExcludedAddressFails) {
  memory_.exclusions = {"*@spam.example"};
  const SyncRowOutcome outcome = RunOne(Row("x@spam.example"));
  EXPECT_EQ(outcome.reason, "excluded");
  EXPECT_EQ(outcome.message,
            "x@spam.example is excluded from list 'News' by pattern '*@spam.example'");
  EXPECT_TRUE(memory_.contacts.empty());
}

TEST_F(SyncBatchRulesTest, ADryRunDecidesAlikeAndWritesNothing) {
  memory_.Add({.email = "a@x.example", .first_name = "A"}, S::kActive);
  auto writer = Writer(SyncEntryStatus::kActive, true, /*dry_run=*/true);
  const auto outcomes =
      Write(*writer, {Row("a@x.example", "B"), Row("n@x.example"), Row("N@x.example")});
  EXPECT_EQ(outcomes[0].result, R::kUpdated);
  EXPECT_EQ(outcomes[1].result, R::kAdded);
  EXPECT_EQ(outcomes[2].reason, "duplicate_in_source");
  EXPECT_EQ(memory_.writes, 0);
  EXPECT_EQ(memory_.contacts.size(), 1u);
  EXPECT_FALSE(memory_.subscriptions.begin()->second.hash.has_value());
}

TEST_F(SyncBatchRulesTest, AnExclusionSyncAddsAddressesToTheExclusionList) {
  memory_.exclusions = {"*@old.example"};
  const auto outcomes =
      Run({Row("New@x.example"), Row("a@old.example"), Row("a*b@x.example"), Row("new@x.example")},
          SyncEntryStatus::kExcluded);
  EXPECT_EQ(outcomes[0].result, R::kAdded);
  EXPECT_EQ(outcomes[1].result, R::kUnchanged);  // a pattern already matches it
  EXPECT_EQ(outcomes[2].result, R::kFailed);
  EXPECT_EQ(outcomes[2].reason, "email_invalid");
  EXPECT_NE(outcomes[2].message.find("wildcard"), std::string::npos);
  EXPECT_EQ(outcomes[3].reason, "duplicate_in_source");
  EXPECT_EQ(memory_.exclusions, (std::vector<std::string>{"*@old.example", "new@x.example"}));
  EXPECT_TRUE(memory_.contacts.empty());
}

TEST_F(SyncBatchRulesTest, DeletionRemovesWhatTheRunDidNotSelectUnlessTooMuch) {
  for (int i = 0; i < 4; ++i) {
    memory_.Add({.email = "c" + std::to_string(i) + "@x.example"}, S::kActive);
  }
  memory_.Add({.email = "gone@x.example"}, S::kUnsubscribed);  // stays: the record
  memory_.Add({.email = "kept@x.example", .bounced = true}, S::kUnconfirmed);
  // A run that selected c0..c2 and deletes with `max_fraction`.
  const auto delete_after_run = [&](double max_fraction) {
    auto writer = Writer();
    Write(*writer, {Row("c0@x.example"), Row("c1@x.example"), Row("c2@x.example")});
    return writer->DeleteNotSelected(max_fraction);
  };
  CS_ASSERT_OK_AND_ASSIGN(const DeletionOutcome refused, delete_after_run(0.2));
  EXPECT_TRUE(refused.refused);
  EXPECT_EQ(refused.list_size, 6);
  EXPECT_EQ(refused.not_selected, 2);
  EXPECT_EQ(refused.removed, 0);
  EXPECT_NE(refused.note.find("max_delete_fraction 0.2"), std::string::npos);
  EXPECT_EQ(memory_.subscriptions.size(), 6u);

  CS_ASSERT_OK_AND_ASSIGN(const DeletionOutcome outcome, delete_after_run(0.5));
  EXPECT_FALSE(outcome.refused);
  EXPECT_EQ(outcome.not_selected, 2);
  EXPECT_EQ(outcome.removed, 2);
  EXPECT_EQ(outcome.contacts_deleted, 1);  // c3; the bounced one keeps its record
  EXPECT_EQ(memory_.IdOf("c3@x.example"), 0);
  EXPECT_NE(memory_.IdOf("kept@x.example"), 0);
  EXPECT_NE(memory_.IdOf("gone@x.example"), 0);
  EXPECT_EQ(memory_.subscriptions.size(), 4u);
}

TEST_F(SyncBatchRulesTest, ADryRunDeletionCountsOnly) {
  memory_.Add({.email = "a@x.example"}, S::kActive);
  auto writer = Writer(SyncEntryStatus::kActive, true, /*dry_run=*/true);
  CS_ASSERT_OK_AND_ASSIGN(const DeletionOutcome outcome, writer->DeleteNotSelected(1.0));
  EXPECT_EQ(outcome.not_selected, 1);
  EXPECT_EQ(outcome.removed, 0);
  EXPECT_EQ(memory_.subscriptions.size(), 1u);
}

TEST_F(SyncBatchRulesTest, RunFailuresAreRecordedForARunOnly) {
  const std::vector<RunFailure> failures{{3, "a@x.example", "field_invalid", "bad"}};
  ASSERT_TRUE(IsOk(Writer()->AddRunFailures(failures)));
  EXPECT_EQ(memory_.failures, failures);
  ASSERT_TRUE(
      IsOk(Writer(SyncEntryStatus::kActive, true, /*dry_run=*/true)->AddRunFailures(failures)));
  EXPECT_EQ(memory_.failures.size(), 1u);  // a Test records none
}

TEST(DecideDeletionTest, RefusesMoreThanTheFractionAndSaysWhy) {
  EXPECT_FALSE(DecideDeletion(10, 0, 0.0, "News").refused);
  EXPECT_FALSE(DecideDeletion(10, 2, 0.2, "News").refused);  // exactly the fraction
  const DeletionDecision refused = DecideDeletion(10, 3, 0.2, "News");
  EXPECT_TRUE(refused.refused);
  EXPECT_EQ(refused.note,
            "not deleting 3 of the 10 contacts on list 'News' (30.0%): that is more than "
            "max_delete_fraction 0.2 allows; no contact was deleted. Check the source and the "
            "rules, or raise max_delete_fraction in the sync definition");
  EXPECT_TRUE(refused.refused);
  EXPECT_FALSE(DecideDeletion(10, 10, 1.0, "News").refused);
}

TEST(OrphanRuleTest, OnlyAContactWithNoOtherReasonToStayIsDeleted) {
  EXPECT_TRUE(DeletesOrphanContact({}));
  EXPECT_FALSE(DeletesOrphanContact({.has_other_subscriptions = true}));
  EXPECT_FALSE(DeletesOrphanContact({.bounced = true}));
  EXPECT_FALSE(DeletesOrphanContact({.ever_unsubscribed = true}));
  EXPECT_FALSE(DeletesOrphanContact({.named_by_exclusion = true}));
  EXPECT_TRUE(DeletionMayRemove(S::kActive));
  EXPECT_TRUE(DeletionMayRemove(S::kUnconfirmed));
  EXPECT_FALSE(DeletionMayRemove(S::kUnsubscribed));
  EXPECT_FALSE(DeletionMayRemove(S::kBounced));
}

TEST(HashSyncedValuesTest, TellsApartWhatAConcatenationWouldNot) {
  const CustomField city = Field(kCity, "CITY", model::FieldType::kText);
  const std::vector<const CustomField*> none;
  SyncRow a = Row("a@x.example", "ab");
  a.last_name = "";
  SyncRow b = Row("a@x.example", "a");
  b.last_name = "b";
  EXPECT_NE(HashSyncedValues(a, none), HashSyncedValues(b, none));
  SyncRow absent = Row("a@x.example");
  SyncRow empty = Row("a@x.example", "");
  EXPECT_NE(HashSyncedValues(absent, none), HashSyncedValues(empty, none));
  SyncRow valued = Row("a@x.example", std::nullopt, {{"CITY", "x"}});
  EXPECT_EQ(HashSyncedValues(valued, {&city}), HashSyncedValues(valued, {&city}));
  const CustomField other = Field(kSize, "SIZE", model::FieldType::kText);
  EXPECT_NE(HashSyncedValues(valued, {&city}), HashSyncedValues(valued, {&other}));
}

}  // namespace
}  // namespace contactsync::store
