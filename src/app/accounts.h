#pragma once

// The secrets of server accounts, shared by `contactsync user` and the HTTP
// server: password hashes (argon2id, libsodium crypto_pwhash_str with the
// "interactive" limits: about 64 MiB and a few tens of milliseconds per
// check, which is what makes guessing expensive), random session ids and API
// tokens, and the hash under which the store keeps them (BLAKE2b-256 via
// crypto_generichash: the values are 256 random bits, so a fast hash is
// enough and a copy of the store opens nothing).
//
// Thread safety: pure functions (libsodium is initialised once, thread-safely).

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::app {

inline constexpr size_t kMinPasswordBytes = 8;
inline constexpr size_t kMaxPasswordBytes = 1024;

// OK for a password of 8..1024 bytes of UTF-8 without NUL; otherwise
// InvalidArgument saying what is wrong (never echoing the password).
base::Status CheckNewPassword(std::string_view password);

// An argon2id hash string of `password`. kInternal when memory runs out.
base::Result<std::string> HashPassword(std::string_view password);

// True when `password` matches `hash` (constant time in the password).
bool VerifyPassword(std::string_view hash, std::string_view password);

// 32 random bytes as 64 lowercase hex digits, with `prefix` in front.
std::string NewRandomToken(std::string_view prefix = "");

// The hex BLAKE2b-256 of `token`: what the store keeps.
std::string TokenHash(std::string_view token);

// Equality without an early exit (for CSRF tokens).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace contactsync::app
