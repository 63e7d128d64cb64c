#pragma once

// Building an Internet message (RFC 5322 + MIME) from structured values only.
//
// Header safety is the point of this file: every header is assembled here
// from typed parts, never from text that a caller formatted, and no value
// can carry a line break into the header section. Display names and
// subjects are cleaned (CleanHeaderText: CR, LF, NUL, every other control
// character, NEL, U+2028/U+2029 and invalid UTF-8 become spaces) and then
// written as a quoted string or as RFC 2047 encoded words (UTF-8, base64),
// folded so that no line exceeds 78 characters. Addresses are not cleaned:
// one that is not a plain addr-spec is refused with a reason.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"

namespace contactsync::mail {

struct Mailbox {
  std::string name;     // display name, any text (cleaned and encoded)
  std::string address;  // addr-spec; UTF-8 allowed (then SMTPUTF8 is needed)
};

// `text` as one line: control characters, NEL, U+2028, U+2029 and bytes
// that are not valid UTF-8 replaced by a space, runs of white space
// collapsed, trimmed.
std::string CleanHeaderText(std::string_view text);

// OK for an address that can go into a header and an SMTP command as it is:
// local@domain, no white space, control characters, quotes, brackets,
// commas, semicolons or backslashes, valid UTF-8, at most 254 bytes.
base::Status CheckAddress(std::string_view address);

// True when the address holds a non-ASCII byte (its sending needs SMTPUTF8).
bool NeedsSmtpUtf8(std::string_view address);

// "=?UTF-8?B?...?=" words (each at most 75 characters, never splitting a
// UTF-8 sequence) separated by CRLF SP, for already cleaned text.
std::string EncodeWords(std::string_view clean_text);

// A display name as a phrase: printable ASCII as a quoted string, anything
// else (or anything long) as encoded words. Empty for an empty name.
std::string EncodeDisplayName(std::string_view name);

// The header value for a mailbox: `phrase <address>` or `<address>`.
base::Result<std::string> FormatMailbox(const Mailbox& mailbox);

// RFC 5322 date-time in UTC: "Tue, 01 Dec 2026 07:00:00 +0000".
std::string FormatRfc5322Date(base::TimePoint t);

struct MessageParts {
  Mailbox from;
  Mailbox to;
  std::string subject;     // any text; cleaned and encoded
  std::string message_id;  // "<id@domain>", ASCII; checked
  base::TimePoint date;
  std::string unsubscribe_url;  // http(s) URL, ASCII; List-Unsubscribe + one-click POST
  std::string text;             // plain-text part, UTF-8
  std::string html;             // HTML part, UTF-8, already escaped by the caller
};

// The whole message with CRLF line ends: headers, then multipart/alternative
// with the text and HTML parts in base64. InvalidArgument (with the reason)
// for an address CheckAddress refuses, a malformed Message-ID, or an
// unsubscribe URL that is not http(s) or holds characters a header cannot.
base::Result<std::string> BuildMessage(const MessageParts& parts);

// Standard base64 with CRLF every 76 characters (MIME).
std::string Base64Lines(std::string_view bytes);

}  // namespace contactsync::mail
