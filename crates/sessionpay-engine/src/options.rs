//! The settings of a run, passed in by the caller (the engine reads no
//! environment variable).

use rust_decimal::Decimal;

/// A single CSV file at least this large is read in parallel parts (by default).
pub const PARALLEL_MIN_BYTES: u64 = 4 << 20;

/// One worker per core, as far as the system tells.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// How a run reads and prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// How far TeamUp's figure may be from the computed pay and still match.
    pub tolerance: Decimal,
    /// Worker threads; 1 reads everything in one sequential pass.
    pub threads: usize,
    /// A single CSV input at least this large (in bytes) is read in
    /// parallel parts when there is more than one thread.
    pub parallel_min_bytes: u64,
    /// Keep the pay rate and venue ids the sessions had ([`crate::Stats::seen`]).
    pub seen_ids: bool,
}

impl Default for RunOptions {
    /// No tolerance, one thread per core, [`PARALLEL_MIN_BYTES`], no ids kept.
    fn default() -> RunOptions {
        RunOptions {
            tolerance: Decimal::ZERO,
            threads: default_threads(),
            parallel_min_bytes: PARALLEL_MIN_BYTES,
            seen_ids: false,
        }
    }
}

impl RunOptions {
    /// These options with `tolerance`.
    #[must_use]
    pub fn tolerance(self, tolerance: Decimal) -> RunOptions {
        RunOptions { tolerance, ..self }
    }

    /// These options with `threads` (at least 1).
    #[must_use]
    pub fn threads(self, threads: usize) -> RunOptions {
        RunOptions {
            threads: threads.max(1),
            ..self
        }
    }

    /// These options keeping the ids the sessions had, or not.
    #[must_use]
    pub fn seen_ids(self, seen_ids: bool) -> RunOptions {
        RunOptions { seen_ids, ..self }
    }

    /// These options with `parallel_min_bytes`.
    #[must_use]
    pub fn parallel_min_bytes(self, parallel_min_bytes: u64) -> RunOptions {
        RunOptions {
            parallel_min_bytes,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_threads_means_one_sequential_pass() {
        assert_eq!(RunOptions::default().threads(0).threads, 1);
        assert_eq!(RunOptions::default().threads(3).threads, 3);
    }
}
