#pragma once

// Personalisation of subjects and bodies: %TAG% is replaced by the contact's
// value. Tags are %FIRSTNAME%, %LASTNAME%, %EMAIL%, %PHONE% and every custom
// field key (%CITY%), matched case-insensitively; a tag is a '%', 1..64
// letters, digits or '_', and a '%'. A tag without a value (a blank custom
// field, an unknown key) becomes empty, never the raw tag; other text, such
// as "50% off", stays as written.
//
// Thread safety: pure functions.

#include <map>
#include <string>
#include <string_view>

#include "store/contact_store.h"

namespace contactsync::mail {

// Upper-case tag name -> value, for `contact`.
std::map<std::string, std::string> TagValues(const store::Contact& contact);

std::string RenderTemplate(std::string_view text, const std::map<std::string, std::string>& values);

// &, <, >, " and ' as HTML character references.
std::string EscapeHtml(std::string_view text);

// Plain text as HTML: escaped, line breaks as <br>.
std::string TextToHtml(std::string_view text);

}  // namespace contactsync::mail
