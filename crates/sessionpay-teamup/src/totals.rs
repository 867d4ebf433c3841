//! The report's size by its pages' `total`: which reading of it the pages fit, and the limit past which a report counts as endless.

/// What the pages state of the report's size, to hold the rows against.
///
/// Under keyset paging a server may count `total` over the whole report, or
/// over what matches the request, `id_gt` included (the rows still to come).
/// Either reading is accepted if the pages fit it from first to last:
///
/// * the whole report: `total` never falls from one page to the next (it may
///   rise: sessions are added while the run goes on), and the rows seen in the
///   end are the last page's `total`;
/// * the rows still to come: `total` plus the rows seen before its page never
///   falls, and the last (empty) page says 0 are left.
///
/// A fall under both readings means rows were skipped (or deleted while the
/// run went on): either way the file would not be the report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Totals {
    /// The previous page's `total` and the rows seen before it.
    last: (u64, u64),
    /// The pages fit the reading "the whole report" so far.
    whole: bool,
    /// The pages fit the reading "the rows still to come" so far.
    remaining: bool,
    /// The first page that fell under both readings: its number, the
    /// previous page's `total` and its own.
    fall: Option<(u64, u64, u64)>,
    /// The most rows the report may bring (room for sessions added while the
    /// run goes on) before it counts as endless, from the first page.
    pub(crate) limit: u64,
}

impl Totals {
    pub(crate) fn new(seen_before: u64, total: u64, page_size: u32) -> Totals {
        let size = total.saturating_add(seen_before);
        Totals {
            last: (total, seen_before),
            whole: true,
            remaining: true,
            fall: None,
            limit: size.saturating_add(u64::from(page_size).max(size / 10)),
        }
    }

    pub(crate) fn observe(&mut self, page: u64, seen_before: u64, total: u64) {
        let (last_total, last_seen) = self.last;
        self.whole &= total >= last_total;
        self.remaining &= total.saturating_add(seen_before) >= last_total.saturating_add(last_seen);
        if !self.whole && !self.remaining && self.fall.is_none() {
            self.fall = Some((page, last_total, total));
        }
        self.last = (total, seen_before);
    }

    /// The report's size by the reading the pages fit (the whole report
    /// while both fit), for progress and messages.
    pub(crate) fn expected(&self) -> u64 {
        let (total, seen_before) = self.last;
        if self.whole || !self.remaining {
            total
        } else {
            total.saturating_add(seen_before)
        }
    }

    /// Why `seen` rows, at the last (empty) page, do not make the report, or
    /// `None` when they do under either reading.
    pub(crate) fn disagreement(&self, seen: u64) -> Option<String> {
        let (total, _) = self.last;
        if (self.whole && seen == total) || (self.remaining && total == 0) {
            return None;
        }
        if let Some((page, before, now)) = self.fall {
            return Some(format!(
                "the pages disagree on the report's size: page {page} stated a total of {now} \
                 after a total of {before}, which no reading of total explains without lost rows"
            ));
        }
        if !self.whole {
            return Some(format!("its last page still counts {total} sessions to come"));
        }
        let (n, what) = if seen < total {
            (total - seen, "missing")
        } else {
            (seen - total, "more than it counts")
        };
        Some(format!("states a total of {total} ({n} {what})"))
    }
}
