#include "app/accounts.h"

#include <sodium.h>

#include <cstdlib>

#include "base/text.h"

namespace contactsync::app {
namespace {

void InitSodium() {
  // sodium_init is idempotent and thread-safe; it fails only when the system
  // has no randomness, where nothing here can be trusted.
  if (sodium_init() < 0) std::abort();
}

std::string Hex(const unsigned char* bytes, size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();
  return hex;
}

}  // namespace

base::Status CheckNewPassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return base::InvalidArgument("the password is too short: use at least 8 characters");
  }
  if (password.size() > kMaxPasswordBytes) {
    return base::InvalidArgument("the password is too long: use at most 1024 bytes");
  }
  if (!base::IsValidUtf8(password) || password.find('\0') != std::string_view::npos) {
    return base::InvalidArgument("the password must be UTF-8 text without NUL characters");
  }
  return base::Status::Ok();
}

base::Result<std::string> HashPassword(std::string_view password) {
  InitSodium();
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return base::Internal("cannot hash the password: out of memory");
  }
  return std::string(hash);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  InitSodium();
  const std::string terminated(hash);  // crypto_pwhash_str_verify wants a C string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string NewRandomToken(std::string_view prefix) {
  InitSodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return std::string(prefix) + Hex(bytes, sizeof bytes);
}

std::string TokenHash(std::string_view token) {
  InitSodium();
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return Hex(digest, sizeof digest);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace contactsync::app
