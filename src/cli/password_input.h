#pragma once

// Reading a password without it ever being a command-line argument (which
// other users can see in `ps`): from standard input with --password-stdin, or
// from a prompt with echo off when standard input is a terminal.

#include <optional>
#include <string>

#include "base/status.h"

namespace contactsync::cli {

// --password-stdin: the first line of standard input, without its line end.
base::Result<std::string> ReadPasswordLine();

// When standard input is a terminal: prompts on stderr with echo off and
// returns what was typed. Otherwise nullopt (scripts must use
// --password-stdin).
base::Result<std::optional<std::string>> PromptPassword(const std::string& prompt);

}  // namespace contactsync::cli
