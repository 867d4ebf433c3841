//! The collectors of `rates infer`: [`Observations`], every session with a
//! final figure folded into the distinct observations of its rate
//! ([`sessionpay_core::ObservationSet`]); the search over them, rates shared
//! out over the run's threads; and [`OutlierIds`], the second reading that
//! finds the ids of every outlier session when a report lists them all.
//! Nothing is priced on the way in: both take sessions as read.

use sessionpay_core::{InferOptions, Inferred, ObservationSet, OutlierFinder, Session};

use crate::workers::map_items;
use crate::{Collector, Error, Result};

/// Everything `rates infer` keeps of a run's sessions: a [`Collector`] of
/// unpriced sessions, mergeable, bounded by the distinct observations.
#[derive(Debug, Clone)]
pub struct Observations(pub ObservationSet);

impl Observations {
    /// An empty collector keeping `examples` session ids per observation
    /// (see [`ObservationSet::new`]).
    pub fn keeping(examples: usize) -> Observations {
        Observations(ObservationSet::new(examples))
    }

    /// Infers every rate's policy, the rates shared out over `threads`
    /// (the run's); the result does not depend on the order sessions came in.
    ///
    /// # Errors
    /// [`Error::Infer`], naming the rate and, when one alone fails, the session.
    pub fn infer(self, options: &InferOptions, threads: usize) -> Result<Inferred> {
        let mut set = self.0;
        let work = set.take_rates();
        let results = map_items(&work, threads, |rate| {
            rate.infer(options).map_err(|source| Error::Infer {
                rate: rate.id().0,
                session: rate.failing_session(options),
                source,
            })
        });
        let rates = results.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(set.finish(rates, options))
    }
}

/// The ids of the outlier sessions an [`Inferred`] did not keep, found on a
/// second reading of the same inputs: a [`Collector`] of unpriced sessions.
#[derive(Debug, Clone)]
pub struct OutlierIds(pub OutlierFinder);

/// The [`Collector`] of each collector here: a newtype around a core set
/// that takes each session as read and merges with the sets of the run's
/// other workers.
macro_rules! collect_into_set {
    ($($collector:ident),+) => {$(
        impl Collector for $collector {
            type Item = Session;

            fn add(&mut self, s: Session) -> Result<()> {
                self.0.add(&s);
                Ok(())
            }

            fn merge(&mut self, other: $collector) -> Result<()> {
                self.0.merge(other.0);
                Ok(())
            }
        }
    )+};
}

collect_into_set!(Observations, OutlierIds);

#[cfg(test)]
mod tests {
    use super::*;

    use sessionpay_core::RateTable;

    use crate::run::tests::{csv, row};
    use crate::{Lines, Run, RunOptions};

    fn observe(inputs: &[sessionpay_io::Input], examples: usize) -> Observations {
        let table = RateTable::default();
        let (observations, _) = Run::new(inputs, &table, RunOptions::default().threads(1))
            .collect(|| Observations::keeping(examples))
            .expect("run");
        observations
    }

    #[test]
    fn sessions_of_the_same_rate_content_share_an_observation_across_inputs() {
        let dir = tempfile::tempdir().expect("temp dir");
        // Each input gives its rates their own allocation: the key is the content.
        let a = csv(dir.path(), "a.csv", &[row(1, 4, "20.00")]);
        let b = csv(dir.path(), "b.csv", &[row(2, 4, "20.00"), row(3, 2, "10.00")]);
        let observations = observe(&[a, b], 20);
        assert_eq!(observations.0.distinct(), 2);
        let inferred = observations.infer(&InferOptions::default(), 1).expect("infer");
        assert_eq!(inferred.rates.len(), 1);
        assert_eq!(inferred.rates[0].inference.seen, 3);
        assert_eq!(inferred.rates[0].inference.explained, 3);
    }

    #[test]
    fn a_rate_whose_base_changes_keeps_both_contents() {
        let dir = tempfile::tempdir().expect("temp dir");
        let other = row(2, 4, "24.00").replace("per_customer,5,", "per_customer,6,");
        let observations = observe(&[csv(dir.path(), "a.csv", &[row(1, 4, "20.00"), other])], 20);
        assert_eq!(observations.0.distinct(), 2);
        let inferred = observations
            .infer(&InferOptions { min_support: 1 }, 1)
            .expect("infer");
        assert_eq!(inferred.rates[0].bases, ["5", "6"]);
        assert_eq!(inferred.rates[0].inference.explained, 2);
    }

    #[test]
    fn merged_observations_infer_as_one_and_threads_do_not_change_the_result() {
        let dir = tempfile::tempdir().expect("temp dir");
        let rows: Vec<String> = (1..=40)
            .map(|id| row(id, (id % 5) as u32, &format!("{}.00", (id % 5) * 5)))
            .collect();
        let whole = observe(&[csv(dir.path(), "all.csv", &rows)], 3);
        let mut first = observe(&[csv(dir.path(), "first.csv", &rows[..17])], 3);
        first
            .merge(observe(&[csv(dir.path(), "rest.csv", &rows[17..])], 3))
            .expect("merge");
        let options = InferOptions { min_support: 2 };
        let text = |o: Observations, threads| format!("{:?}", o.infer(&options, threads).expect("infer"));
        let one = text(whole.clone(), 1);
        assert_eq!(one, text(whole, 4));
        assert_eq!(one, text(first, 2));
    }

    #[test]
    fn a_second_reading_finds_every_outlier_id_the_observations_did_not_keep() {
        let dir = tempfile::tempdir().expect("temp dir");
        // 4 customers at 5 is 20.00; eight sessions paid 21.00 are outliers.
        let mut rows: Vec<String> = (1..=30).map(|id| row(id, 4, "20.00")).collect();
        rows.extend((31..=38).map(|id| row(id, 4, "21.00")));
        let inputs = [csv(dir.path(), "a.csv", &rows)];
        let options = InferOptions::default();
        let mut inferred = observe(&inputs, 3).infer(&options, 1).expect("infer");
        let rate = &inferred.rates[0];
        assert_eq!(rate.outlier_sessions(), 8);
        assert_eq!(rate.outliers[0].ids, [31, 32, 33]);
        assert!(!inferred.outliers_complete());
        let table = RateTable::default();
        let (found, _) = Run::new(&inputs, &table, RunOptions::default().threads(1))
            .collect(|| OutlierIds(inferred.outlier_finder()))
            .expect("second reading");
        inferred.fill_outliers(found.0);
        assert!(inferred.outliers_complete());
        let listed: Vec<u64> = inferred.rates[0]
            .listed_outliers(usize::MAX)
            .iter()
            .map(|o| o.session)
            .collect();
        assert_eq!(listed, (31..=38).collect::<Vec<u64>>());
    }

    #[test]
    fn observations_do_not_price_sessions() {
        let dir = tempfile::tempdir().expect("temp dir");
        // 2 customers at the largest base there is: pricing overflows.
        let huge =
            row(1, 2, "5.00").replace("per_customer,5,", "per_customer,79228162514264337593543950335,");
        let inputs = [csv(dir.path(), "a.csv", &[huge])];
        let table = RateTable::default();
        let priced = Run::new(&inputs, &table, RunOptions::default()).collect(Lines::default);
        assert!(priced.is_err(), "pricing this session fails");
        let observations = observe(&inputs, 20);
        assert_eq!(observations.0.distinct(), 1);
        // The search prices it, and names the rate and the session.
        let err = observations
            .infer(&InferOptions::default(), 1)
            .expect_err("the search overflows");
        assert!(
            matches!(
                err,
                Error::Infer {
                    rate: 3,
                    session: Some(1),
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
