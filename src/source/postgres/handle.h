#pragma once

// The libpq owners (pg/handle.h), under the names this driver uses.

#include "pg/handle.h"

namespace contactsync::source::postgres {

using pg::CancelHandle;
using pg::ConnectionHandle;
using pg::ResultHandle;

}  // namespace contactsync::source::postgres
