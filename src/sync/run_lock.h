#pragma once

// Who holds a sync's run lock (SyncStore::BeginRun), and whether that
// process still exists: a run left "running" by a killed process must not
// block the sync forever.
//
// A holder is "host:pid:start", where start is the process's start time in
// clock ticks since boot (/proc/<pid>/stat field 22), so that a recycled pid
// is not mistaken for the holder.
//
// Thread safety: pure functions of the system state.

#include <string>
#include <string_view>

namespace contactsync::sync {

// This process's holder id.
std::string CurrentHolder();

// True when `holder` names a process on this host that no longer exists (or
// whose pid now belongs to another process). False when it is alive, on
// another host, or unreadable: then the lock is respected.
bool HolderIsGone(std::string_view holder);

}  // namespace contactsync::sync
