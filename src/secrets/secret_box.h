#pragma once

// Encryption of secrets at rest (connection and SMTP passwords): libsodium's
// XChaCha20-Poly1305 AEAD with a 256-bit key.
//
// Each sealed value binds "associated data" — the id of the object that owns
// the secret — so that a ciphertext copied onto another connection's row fails
// to open instead of leaking that connection's password to a different host.
//
// The key comes from $CONTACTSYNC_SECRET_KEY (64 hex digits) when set, else
// from `<data dir>/secret.key`, created on first use with mode 0600 from
// libsodium's CSPRNG. Losing the key file makes stored passwords unreadable
// (they must be entered again); it never makes them readable to others.
//
// Thread safety: a SecretBox is immutable after creation; Seal and Open may be
// called concurrently.

#include <array>
#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::secrets {

inline constexpr size_t kKeyBytes = 32;

class SecretBox {
 public:
  // The key from the environment variable `env_name` when it is set, else the
  // key file at `key_path` (created when absent). Errors: InvalidArgument for
  // a malformed environment key; PermissionDenied when the key file is
  // readable by group or others (it is refused rather than trusted); Internal
  // when the file cannot be created or read.
  static base::Result<SecretBox> Load(const std::string& key_path,
                                      const char* env_name = "CONTACTSYNC_SECRET_KEY");

  // A box over a given key; for tests.
  static SecretBox FromKey(const std::array<unsigned char, kKeyBytes>& key);

  // nonce || ciphertext+tag, as bytes. `associated_data` is not stored; the
  // same value must be given to Open.
  std::string Seal(std::string_view plaintext, std::string_view associated_data) const;

  // The plaintext, or PermissionDenied "cannot decrypt the stored secret ..."
  // when the value was tampered with, sealed for another owner, or sealed
  // under another key.
  base::Result<std::string> Open(std::string_view sealed, std::string_view associated_data) const;

  // A key for another purpose derived from this one (libsodium crypto_kdf,
  // subkey 1 under `context`, exactly 8 characters such as "mailLink"), so
  // that one secret file serves several jobs without reusing a key.
  std::array<unsigned char, kKeyBytes> DeriveKey(std::string_view context) const;

 private:
  explicit SecretBox(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {}
  std::array<unsigned char, kKeyBytes> key_;
};

// A random identifier (32 lowercase hex digits) for objects that own secrets.
std::string NewSecretOwnerId();

}  // namespace contactsync::secrets
