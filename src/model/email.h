#pragma once

// Email addresses: the validation policy and the uniqueness key.
//
// Policy (docs/email-validation.md says why): an address is a bare addr-spec
// `local@domain` as people type it into a form, nothing more.
//  - Surrounding white space is trimmed; the address is kept as first given.
//  - Local part: a dot-atom of ASCII letters, digits and !#$%&'*+/=?^_`{|}~-
//    with no leading, trailing or doubled dot; at most 64 bytes. Quoted local
//    parts ("john doe"@x) and comments are refused: real mail servers and
//    marketing tools mishandle them.
//  - Domain: at least two dot-separated labels of ASCII letters, digits and
//    hyphens (no label starting or ending with a hyphen, each 1..63 bytes,
//    all at most 253 bytes); the last label has a letter. IP literals
//    ([192.0.2.1]) and single-label hosts (user@localhost) are refused: they
//    are never deliverable marketing addresses.
//  - Internationalised addresses (non-ASCII anywhere) are refused
//    deliberately in this version, with a message that says so: a non-ASCII
//    domain is pointed to its ASCII (xn--) form, which is accepted; a non-ASCII
//    local part has no such form and is told why it cannot be used (SMTPUTF8).
//  - Whole address at most 254 bytes (RFC 5321 path limit).
// Display names ("Ann <ann@x.com>") are refused, not silently stripped.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::model {

inline constexpr size_t kMaxEmailBytes = 254;

// The trimmed address when `raw` satisfies the policy above; otherwise
// InvalidArgument whose message says what is wrong, e.g.
// "'ann@@x.com' is not a valid email address: it has more than one '@'".
// A blank address gives "email address is blank".
base::Result<std::string> ValidateEmail(std::string_view raw);
// The same check, answering with a view into `raw` instead of a copy (the
// sync's mapping validates a million addresses into reused buffers).
base::Result<std::string_view> ValidateEmailView(std::string_view raw);

// The key under which addresses are unique: trimmed and ASCII-lower-cased, so
// that "A@X.COM " and "a@x.com" are one contact. Precondition: `email` passed
// ValidateEmail (the key of an invalid address is meaningless).
std::string EmailKey(std::string_view email);
// EmailKey into `key`, reusing its buffer.
void AssignEmailKey(std::string_view email, std::string& key);

}  // namespace contactsync::model
