#include "store/contact_save_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "base/clock.h"
#include "model/custom_field.h"
#include "model/email.h"

namespace contactsync::store {
namespace {

// A custom value of a SaveContact, normalised, with its field.
struct FieldValue {
  const CustomField* field;
  std::string value;  // canonical; "" clears
};

base::Result<std::map<std::string, FieldValue>> NormalizeValues(
    const std::map<std::string, std::string>& raw, const std::vector<CustomField>& fields) {
  std::map<std::string, FieldValue> values;
  for (const auto& [raw_key, raw_value] : raw) {
    const std::string key = CanonicalFieldKey(raw_key);
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [&](const CustomField& f) { return f.definition.key == key; });
    if (field == fields.end()) return FieldNotFound(key);
    CS_ASSIGN_OR_RETURN(std::string value,
                        model::NormalizeFieldValue(field->definition, raw_value));
    if (!values.emplace(key, FieldValue{&*field, std::move(value)}).second) {
      return base::InvalidArgument(fmt::format("custom field {} is given more than once", key));
    }
  }
  return values;
}

base::Status FieldRequired(std::string_view key) {
  return base::InvalidArgument(fmt::format("custom field {} is required", key));
}

// A new contact must have a value for every required field.
base::Status CheckRequiredFields(const std::vector<CustomField>& fields,
                                 const std::map<std::string, FieldValue>& values) {
  for (const CustomField& field : fields) {
    const auto it = values.find(field.definition.key);
    if (field.definition.required && (it == values.end() || it->second.value.empty())) {
      return FieldRequired(field.definition.key);
    }
  }
  return base::Status::Ok();
}

}  // namespace

Contact ContactOfRow(ContactRow row) {
  Contact contact;
  contact.id = row.id;
  contact.email = std::move(row.email);
  contact.first_name = std::move(row.first_name);
  contact.last_name = std::move(row.last_name);
  contact.phone = std::move(row.phone);
  contact.bounced = row.bounced;
  contact.ever_unsubscribed = row.ever_unsubscribed;
  contact.created_at = base::FormatUnixMillis(row.created_at);
  contact.updated_at = base::FormatUnixMillis(row.updated_at);
  return contact;
}

base::Result<ContactChangeOutcome> SaveContactByRules(ContactSaveStorage& storage,
                                                      const ContactChange& change,
                                                      const std::string& email, int64_t now_ms) {
  const ContactInput& input = change.contact;
  const std::string key = model::EmailKey(email);
  CS_ASSIGN_OR_RETURN(const std::vector<CustomField> fields, storage.LoadFields());
  CS_ASSIGN_OR_RETURN(const auto values, NormalizeValues(input.fields, fields));
  std::optional<ListRef> list;
  if (change.list) {
    CS_ASSIGN_OR_RETURN(list, storage.RequireList(*change.list));
  }
  CS_ASSIGN_OR_RETURN(const std::optional<ContactRow> existing, storage.FindContactToWrite(key));

  ContactChangeOutcome outcome;
  outcome.created = !existing;
  ContactRow row;
  std::map<std::string, std::string> stored;
  if (existing) {
    row = *existing;
    CS_ASSIGN_OR_RETURN(stored, storage.LoadFieldValues(row.id));
  } else {
    row.email = email;  // kept as first given from now on
    CS_RETURN_IF_ERROR(CheckRequiredFields(fields, values));
  }

  // Only values that differ from what is stored count as changes, so that a
  // sync re-sending identical rows writes nothing and keeps updated_at.
  const auto apply = [&](std::string_view name, const std::optional<std::string>& given,
                         std::string& target) {
    if (given && *given != target) {
      target = *given;
      outcome.changed_fields.emplace_back(name);
    }
  };
  apply("first_name", input.first_name, row.first_name);
  apply("last_name", input.last_name, row.last_name);
  apply("phone", input.phone, row.phone);
  std::vector<const FieldValue*> value_writes;
  for (const auto& [field_key, value] : values) {
    const auto current = stored.find(field_key);
    const std::string_view current_value =
        current == stored.end() ? std::string_view() : std::string_view(current->second);
    if (value.value == current_value) continue;
    if (value.value.empty() && value.field->definition.required) return FieldRequired(field_key);
    value_writes.push_back(&value);
    outcome.changed_fields.push_back(field_key);
  }

  std::optional<SubscriptionDecision> decision;
  if (list) {
    std::optional<SubscriptionStatus> current;
    if (existing) {
      CS_ASSIGN_OR_RETURN(current, storage.FindSubscriptionStatus(row.id, list->id));
    }
    outcome.previous_status = current;
    const SubscriptionRequest request{.email = row.email,
                                      .list_name = list->name,
                                      .contact_bounced = row.bounced,
                                      .current = current,
                                      .requested = change.status,
                                      .mode = change.mode};
    CS_ASSIGN_OR_RETURN(decision, DecideSubscription(request));
    if (decision->check_exclusions) {
      CS_ASSIGN_OR_RETURN(const std::optional<Exclusion> exclusion,
                          storage.FindMatchingExclusion(*list, key));
      if (exclusion) return Excluded(row.email, list->name, exclusion->pattern);
    }
  }

  bool flags_changed = false;
  if (decision && decision->clear_bounced && row.bounced) {
    row.bounced = false;
    flags_changed = true;
  }
  if (decision && decision->set_ever_unsubscribed && !row.ever_unsubscribed) {
    row.ever_unsubscribed = true;
    flags_changed = true;
  }

  if (!existing) {
    row.created_at = now_ms;
    row.updated_at = now_ms;
    CS_ASSIGN_OR_RETURN(row.id, storage.InsertContact(row, key, change.cause));
  } else if (!outcome.changed_fields.empty() || flags_changed) {
    row.updated_at = now_ms;
    CS_RETURN_IF_ERROR(storage.UpdateContact(row, change.cause));
  }
  if (!value_writes.empty()) {
    FieldValueRefs changes;
    for (const FieldValue* value : value_writes)
      changes.emplace_back(value->field->id, value->value);
    CS_RETURN_IF_ERROR(storage.WriteFieldValues(row.id, changes));
  }
  if (decision && decision->changed) {
    CS_RETURN_IF_ERROR(storage.ChangeSubscription(row.id, *list, outcome.previous_status,
                                                  decision->status, change.cause, now_ms));
    // An operator's or the API's change: autoresponders always follow.
    CS_RETURN_IF_ERROR(storage.QueueMailForChange(
        row.id, *list, outcome.previous_status, decision->status, /*autoresponders=*/true, now_ms));
    outcome.subscription_changed = true;
  }
  CS_ASSIGN_OR_RETURN(outcome.contact, storage.LoadContact(std::move(row)));
  return outcome;
}

}  // namespace contactsync::store
