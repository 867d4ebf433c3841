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

    /// The report's size by the reading that `seen` rows (those of the pages
    /// so far) fit: the whole report while it fits and is not below what was
    /// seen, else the rows still to come plus those before the last page. So
    /// progress never reads "2000 of 1100".
    pub(crate) fn expected_for(&self, seen: u64) -> u64 {
        let (total, seen_before) = self.last;
        let remaining = total.saturating_add(seen_before);
        if self.whole && (total >= seen || !self.remaining) {
            total
        } else if self.remaining {
            remaining
        } else {
            total.max(seen)
        }
    }

    /// Why `seen` rows, at the last (empty) page, do not make the report, or
    /// `None` when they do under either reading.
    pub(crate) fn disagreement(&self, seen: u64) -> Option<Disagreement> {
        let (total, _) = self.last;
        if (self.whole && seen == total) || (self.remaining && total == 0) {
            return None;
        }
        Some(if let Some((page, before, now)) = self.fall {
            Disagreement::Fell { page, before, now }
        } else if !self.whole {
            Disagreement::StillToCome { left: total }
        } else {
            Disagreement::Count { total, seen }
        })
    }
}

/// How the rows of a finished report and its stated total disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disagreement {
    /// A page's total fell under both readings: rows were lost.
    Fell {
        /// The page, from 1.
        page: u64,
        /// The total the page before it stated.
        before: u64,
        /// The total it stated.
        now: u64,
    },
    /// The last page, read as counting the rows still to come, says some are left.
    StillToCome {
        /// Rows it says are left.
        left: u64,
    },
    /// The rows seen are not the report's total.
    Count {
        /// The total stated.
        total: u64,
        /// The rows seen.
        seen: u64,
    },
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Disagreement::Fell { page, before, now } => write!(
                f,
                "the pages disagree on the report's size: page {page} stated a total of {now} \
                 after a total of {before}, which no reading of total explains without lost rows"
            ),
            Disagreement::StillToCome { left } => {
                write!(f, "its last page still counts {left} sessions to come")
            }
            Disagreement::Count { total, seen } if seen < total => {
                write!(f, "states a total of {total} ({} missing)", total - seen)
            }
            Disagreement::Count { total, seen } => {
                write!(
                    f,
                    "states a total of {total} ({} more than it counts)",
                    seen - total
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_shown_is_never_below_the_rows_seen() {
        // A resumed run: 1,000 rows kept, and a server counting the rows
        // still to come says 1,100 on the first page of 100.
        let t = Totals::new(1000, 1100, 100);
        assert_eq!(t.expected(), 1100);
        assert_eq!(t.expected_for(1100), 1100);
        let mut t = Totals::new(1000, 100, 100);
        assert_eq!(t.expected_for(1100), 1100, "100 left after 1,000 seen");
        t.observe(2, 1100, 0);
        assert_eq!(t.expected_for(1100), 1100);
        // The whole report, stated the same on every page.
        let mut t = Totals::new(0, 3000, 100);
        t.observe(2, 100, 3000);
        assert_eq!(t.expected_for(200), 3000);
    }

    #[test]
    fn a_whole_report_total_is_met_by_its_rows_only() {
        // Pages of 100 from 0 rows kept: 250 stated on every page.
        let mut t = Totals::new(0, 250, 100);
        for (page, seen) in [(2, 100), (3, 200), (4, 250)] {
            t.observe(page, seen, 250);
        }
        assert_eq!(t.expected(), 250);
        assert_eq!(t.disagreement(250), None);
        assert_eq!(
            t.disagreement(240),
            Some(Disagreement::Count {
                total: 250,
                seen: 240
            })
        );
        assert_eq!(t.limit, 350, "250 and a page");
    }

    #[test]
    fn a_total_of_rows_still_to_come_ends_at_zero() {
        let mut t = Totals::new(0, 230, 100);
        for (page, seen, left) in [(2, 100, 130), (3, 200, 30), (4, 230, 0)] {
            t.observe(page, seen, left);
        }
        assert_eq!(t.expected(), 230);
        assert_eq!(t.disagreement(230), None);
        let mut t = Totals::new(0, 230, 100);
        t.observe(2, 100, 130);
        assert_eq!(t.disagreement(100), Some(Disagreement::StillToCome { left: 130 }));
    }

    #[test]
    fn a_total_that_falls_under_both_readings_names_the_page() {
        let mut t = Totals::new(0, 150, 100);
        t.observe(2, 100, 20);
        let problem = t.disagreement(150).expect("a disagreement");
        assert_eq!(
            problem,
            Disagreement::Fell {
                page: 2,
                before: 150,
                now: 20
            }
        );
        assert!(problem
            .to_string()
            .contains("page 2 stated a total of 20 after a total of 150"));
    }
}
