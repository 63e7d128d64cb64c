#pragma once

// Turning a claimed outbox message (store::ClaimedMessage) into the message
// to send: the confirmation text or the autoresponder's templates filled
// for the contact, the signed links, and the headers (message.h).
//
// Every message carries an unsubscribe link in its text, its HTML and its
// List-Unsubscribe header (with List-Unsubscribe-Post for RFC 8058
// one-click). A confirmation also carries the confirm link.
//
// Thread safety: pure functions.

#include <chrono>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "mail/link_signer.h"
#include "mail/mailer.h"
#include "mail/message.h"
#include "store/mail_store.h"

namespace contactsync::mail {

struct ComposeSettings {
  Mailbox from;  // used when the list has no sender address (name: when it has none)
  std::string
      base_url;  // "https://lists.example.com": links are BASE/confirm?t=, BASE/unsubscribe?t=
  std::chrono::seconds confirm_link_lifetime = std::chrono::hours(24 * 7);
  std::chrono::seconds unsubscribe_link_lifetime = std::chrono::hours(24 * 365);
};

struct ComposedMessage {
  OutgoingMessage outgoing;
  std::string subject;  // as rendered (before header encoding), for the outbox record
};

// The message for `claimed`. Its Message-ID is <idempotency key@sender
// domain>. InvalidArgument with the reason when it cannot be sent as it
// stands (no sender address, no base URL, an address a header cannot carry).
base::Result<ComposedMessage> Compose(const store::ClaimedMessage& claimed,
                                      const ComposeSettings& settings, const LinkSigner& signer,
                                      base::TimePoint now);

// The links a message for (contact, list) carries.
std::string ConfirmUrl(const ComposeSettings& settings, const LinkSigner& signer,
                       int64_t contact_id, int64_t list_id, base::TimePoint now);
std::string UnsubscribeUrl(const ComposeSettings& settings, const LinkSigner& signer,
                           int64_t contact_id, int64_t list_id, base::TimePoint now);

}  // namespace contactsync::mail
