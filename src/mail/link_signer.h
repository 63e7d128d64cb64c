#pragma once

// Signed, expiring tokens for the links in mail: confirm (contact, list) and
// unsubscribe (contact, list).
//
// A token is base64url (no padding) of: version (1 byte), action (1),
// contact id (8), list id (8), expiry in Unix seconds (8), then an HMAC
// (libsodium crypto_auth, HMAC-SHA-512-256) over those 26 bytes. It carries
// ids, never an address, so a link in a forwarded mail reveals nothing. The
// key is the data directory's secret key run through libsodium's KDF
// (secrets::SecretBox::DeriveKey), so it is never the encryption key itself.
//
// Thread safety: immutable after construction; Sign and Verify may be called
// concurrently.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"

namespace contactsync::mail {

enum class LinkAction : uint8_t { kConfirm = 1, kUnsubscribe = 2 };

struct LinkClaims {
  LinkAction action = LinkAction::kConfirm;
  int64_t contact_id = 0;
  int64_t list_id = 0;
  int64_t expires_unix = 0;  // seconds since the epoch
};

class LinkSigner {
 public:
  static constexpr size_t kKeyBytes = 32;
  explicit LinkSigner(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {}

  std::string Sign(const LinkClaims& claims) const;

  // The claims of a token issued by Sign for `action`, when not expired at
  // `now`. InvalidArgument "this link is not valid..." for anything damaged,
  // forged or meant for another action; FailedPrecondition "this link
  // expired..." after its expiry.
  base::Result<LinkClaims> Verify(std::string_view token, LinkAction action,
                                  base::TimePoint now) const;

 private:
  std::array<unsigned char, kKeyBytes> key_;
};

}  // namespace contactsync::mail
