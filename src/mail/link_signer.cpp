#include "mail/link_signer.h"

#include <sodium.h>

#include <vector>

namespace contactsync::mail {
namespace {

constexpr unsigned char kVersion = 1;
constexpr size_t kPayloadBytes = 26;
constexpr size_t kTokenBytes = kPayloadBytes + crypto_auth_BYTES;

void PutInt(unsigned char* out, int64_t value) {
  const auto v = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(v >> (56 - 8 * i));
}

int64_t GetInt(const unsigned char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return static_cast<int64_t>(v);
}

base::Status Invalid() {
  return base::InvalidArgument(
      "this link is not valid: it is incomplete, was changed, or was not issued by this server");
}

}  // namespace

std::string LinkSigner::Sign(const LinkClaims& claims) const {
  unsigned char token[kTokenBytes];
  token[0] = kVersion;
  token[1] = static_cast<unsigned char>(claims.action);
  PutInt(token + 2, claims.contact_id);
  PutInt(token + 10, claims.list_id);
  PutInt(token + 18, claims.expires_unix);
  crypto_auth(token + kPayloadBytes, token, kPayloadBytes, key_.data());
  std::string out(sodium_base64_encoded_len(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), token, kTokenBytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);
  return out;
}

base::Result<LinkClaims> LinkSigner::Verify(std::string_view text, LinkAction action,
                                            base::TimePoint now) const {
  if (text.empty() || text.size() > 128) return Invalid();
  unsigned char token[kTokenBytes + 1];
  size_t length = 0;
  if (sodium_base642bin(token, sizeof token, text.data(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      length != kTokenBytes) {
    return Invalid();
  }
  // The MAC is checked before anything in the payload is believed.
  if (crypto_auth_verify(token + kPayloadBytes, token, kPayloadBytes, key_.data()) != 0) {
    return Invalid();
  }
  if (token[0] != kVersion || token[1] != static_cast<unsigned char>(action)) return Invalid();
  LinkClaims claims;
  claims.action = action;
  claims.contact_id = GetInt(token + 2);
  claims.list_id = GetInt(token + 10);
  claims.expires_unix = GetInt(token + 18);
  const int64_t now_unix =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (now_unix > claims.expires_unix) {
    return base::FailedPrecondition(
        "this link has expired; links in our messages work for a limited time");
  }
  return claims;
}

}  // namespace contactsync::mail
