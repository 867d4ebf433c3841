//! Small helpers the unit tests of several modules share.

use std::sync::{Mutex, MutexGuard};

/// `remove_pending_files` clears every pending file of the process: the
/// tests that make pending files take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// A turn among the tests that make pending files.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}
