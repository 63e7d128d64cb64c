#include "secrets/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace contactsync::secrets {
namespace {

constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

base::Status EnsureSodium() {
  // sodium_init is idempotent and thread-safe; -1 means no usable randomness.
  if (sodium_init() < 0) return base::Internal("libsodium could not be initialised");
  return base::Status::Ok();
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

base::Result<std::array<unsigned char, kKeyBytes>> KeyFromHex(std::string_view hex,
                                                              const char* env_name) {
  std::array<unsigned char, kKeyBytes> key{};
  size_t decoded = 0;
  if (hex.size() != kKeyBytes * 2 ||
      sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &decoded, nullptr) !=
          0 ||
      decoded != kKeyBytes) {
    return base::InvalidArgument(
        fmt::format("{} must be {} hexadecimal digits (e.g. from `openssl rand -hex 32`)", env_name,
                    kKeyBytes * 2));
  }
  return key;
}

base::Result<std::array<unsigned char, kKeyBytes>> ReadKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return base::Internal(fmt::format("cannot read key file {}: {}", path, std::strerror(errno)));
  }
  struct stat info {};
  std::array<unsigned char, kKeyBytes> key{};
  const bool stat_ok = fstat(fd, &info) == 0;
  const ssize_t n = read(fd, key.data(), key.size());
  close(fd);
  if (!stat_ok) return base::Internal(fmt::format("cannot inspect key file {}", path));
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return base::PermissionDenied(
        fmt::format("key file {} is accessible by other users; run `chmod 600 {}`", path, path));
  }
  if (n != static_cast<ssize_t>(kKeyBytes)) {
    return base::Internal(
        fmt::format("key file {} is damaged: expected {} bytes", path, kKeyBytes));
  }
  return key;
}

base::Result<std::array<unsigned char, kKeyBytes>> CreateKeyFile(const std::string& path) {
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
  // O_EXCL: if another process created the key meanwhile, read theirs
  // instead of overwriting it (which would orphan what they sealed).
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ReadKeyFile(path);
    return base::Internal(fmt::format("cannot create key file {}: {}", path, std::strerror(errno)));
  }
  std::array<unsigned char, kKeyBytes> key{};
  randombytes_buf(key.data(), key.size());
  const bool written = write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!written || !synced) {
    unlink(path.c_str());
    return base::Internal(fmt::format("cannot write key file {}", path));
  }
  return key;
}

}  // namespace

base::Result<SecretBox> SecretBox::Load(const std::string& key_path, const char* env_name) {
  CS_RETURN_IF_ERROR(EnsureSodium());
  if (const char* from_env = std::getenv(env_name); from_env != nullptr && *from_env != '\0') {
    CS_ASSIGN_OR_RETURN(auto key, KeyFromHex(from_env, env_name));
    return SecretBox(key);
  }
  if (key_path.empty()) {
    return base::InvalidArgument(fmt::format(
        "no place for the secret key: set {} (64 hexadecimal digits) for this store", env_name));
  }
  if (std::filesystem::exists(key_path)) {
    CS_ASSIGN_OR_RETURN(auto key, ReadKeyFile(key_path));
    return SecretBox(key);
  }
  CS_ASSIGN_OR_RETURN(auto key, CreateKeyFile(key_path));
  return SecretBox(key);
}

SecretBox SecretBox::FromKey(const std::array<unsigned char, kKeyBytes>& key) {
  (void)EnsureSodium();
  return SecretBox(key);
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view associated_data) const {
  std::string sealed(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(out, kNonceBytes);
  unsigned long long cipher_length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kNonceBytes, &cipher_length, Bytes(plaintext),
                                             plaintext.size(), Bytes(associated_data),
                                             associated_data.size(), nullptr, out, key_.data());
  sealed.resize(kNonceBytes + cipher_length);
  return sealed;
}

base::Result<std::string> SecretBox::Open(std::string_view sealed,
                                          std::string_view associated_data) const {
  const auto refused = base::PermissionDenied(
      "cannot decrypt the stored secret: the key changed or the data was altered; enter the "
      "password again");
  if (sealed.size() < kNonceBytes + kTagBytes) return refused;
  std::string plain(sealed.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long plain_length = 0;
  const unsigned char* nonce = Bytes(sealed);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plain_length, nullptr,
          nonce + kNonceBytes, sealed.size() - kNonceBytes, Bytes(associated_data),
          associated_data.size(), nonce, key_.data()) != 0) {
    return refused;
  }
  plain.resize(plain_length);
  return plain;
}

std::string NewSecretOwnerId() {
  (void)EnsureSodium();
  std::array<unsigned char, 16> raw{};
  randombytes_buf(raw.data(), raw.size());
  std::array<char, raw.size() * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  return std::string(hex.data());
}

std::array<unsigned char, kKeyBytes> SecretBox::DeriveKey(std::string_view context) const {
  static_assert(crypto_kdf_KEYBYTES == kKeyBytes && crypto_kdf_BYTES_MAX >= kKeyBytes);
  char ctx[crypto_kdf_CONTEXTBYTES] = {};
  std::copy_n(context.data(), std::min(context.size(), sizeof ctx), ctx);
  std::array<unsigned char, kKeyBytes> subkey{};
  crypto_kdf_derive_from_key(subkey.data(), subkey.size(), 1, ctx, key_.data());
  return subkey;
}

}  // namespace contactsync::secrets
