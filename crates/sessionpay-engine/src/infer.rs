//! The observations of `rates infer`: every session with a final figure
//! folded into the distinct sessions of its rate (same rate content, counts,
//! hours, currency and figure), with the ids behind each; then
//! [`sessionpay_core::infer_rate_policy`] once per rate over them, so the
//! search's cost does not grow with repeated sessions. Nothing is priced on
//! the way in: the collector takes sessions as read.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use sessionpay_core::{
    infer_rate_policy, Counts, Currency, InferOptions, Observation, RateId, RateInference, RateKind, Session,
    VenueId,
};

use crate::workers::map_items;
use crate::{Collector, Error, Result};

/// What pay depends on besides the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Figures {
    counts: Counts,
    hours: Decimal,
    currency: Currency,
    reported: Decimal,
}

/// The sessions of one rate content (kind, base or tiers): distinct figures
/// with the ids of the sessions that have them.
#[derive(Debug, Clone)]
struct ByKind {
    kind: RateKind,
    sessions: HashMap<Figures, Vec<u64>>,
}

/// A name as on the session with the highest id, so the choice does not
/// depend on the order rows are read in.
#[derive(Debug, Clone, Default)]
struct Named {
    name: String,
    from: u64,
}

impl Named {
    fn offer(&mut self, name: &str, session: u64) {
        if self.name.is_empty() || session > self.from {
            self.name = name.to_string();
            self.from = session;
        }
    }

    fn merge(&mut self, other: Named) {
        if !other.name.is_empty() {
            self.offer(&other.name, other.from);
        }
    }
}

#[derive(Debug, Clone, Default)]
struct RateTally {
    name: Named,
    pending: u64,
    unreported: u64,
}

/// A venue as the sessions show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenVenue {
    /// Its settled currency.
    pub currency: Currency,
    /// Its name on the session with the highest id.
    pub name: String,
}

/// Everything `rates infer` keeps of a run's sessions: a [`Collector`] of
/// unpriced sessions, mergeable, keyed by rate content.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    by_rate: HashMap<RateId, Vec<ByKind>>,
    tallies: BTreeMap<RateId, RateTally>,
    venues: BTreeMap<VenueId, (Currency, Named)>,
    unrated: u64,
}

impl Collector for Observations {
    type Item = Session;

    fn add(&mut self, s: Session) -> Result<()> {
        let venue = self
            .venues
            .entry(s.venue)
            .or_insert_with(|| (s.currency, Named::default()));
        venue.1.offer(&s.venue_name, s.id.0);
        let Some(rate) = &s.rate else {
            self.unrated += 1;
            return Ok(());
        };
        let tally = self.tallies.entry(rate.id).or_default();
        tally.name.offer(&rate.name, s.id.0);
        if s.pending {
            tally.pending += 1;
            return Ok(());
        }
        let Some(reported) = s.reported else {
            tally.unreported += 1;
            return Ok(());
        };
        let kinds = self.by_rate.entry(rate.id).or_default();
        let at = match kinds.iter().position(|k| k.kind == rate.kind) {
            Some(at) => at,
            None => {
                kinds.push(ByKind {
                    kind: rate.kind.clone(),
                    sessions: HashMap::new(),
                });
                kinds.len() - 1
            }
        };
        let figures = Figures {
            counts: s.counts,
            hours: s.hours,
            currency: s.currency,
            reported,
        };
        kinds[at].sessions.entry(figures).or_default().push(s.id.0);
        Ok(())
    }

    fn merge(&mut self, other: Observations) -> Result<()> {
        for (id, theirs) in other.by_rate {
            let mine = self.by_rate.entry(id).or_default();
            for kind in theirs {
                match mine.iter_mut().find(|k| k.kind == kind.kind) {
                    Some(k) => {
                        for (figures, ids) in kind.sessions {
                            k.sessions.entry(figures).or_default().extend(ids);
                        }
                    }
                    None => mine.push(kind),
                }
            }
        }
        for (id, tally) in other.tallies {
            let mine = self.tallies.entry(id).or_default();
            mine.name.merge(tally.name);
            mine.pending += tally.pending;
            mine.unreported += tally.unreported;
        }
        for (id, (currency, named)) in other.venues {
            match self.venues.entry(id) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert((currency, named));
                }
                std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().1.merge(named),
            }
        }
        self.unrated += other.unrated;
        Ok(())
    }
}

/// Distinct sessions of one rate: its content, the figures and the sorted
/// ids of the sessions behind them.
type Bucket<'a> = (&'a RateKind, Figures, Vec<u64>);

/// What the inference found, rate by rate.
#[derive(Debug, Clone)]
pub struct Inferred {
    /// Every rate seen, by id.
    pub rates: Vec<InferredRate>,
    /// Every venue seen.
    pub venues: BTreeMap<VenueId, SeenVenue>,
    /// Sessions without a pay rate (not used).
    pub unrated: u64,
}

/// A session the inferred policy does not explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlierSession {
    /// Its id.
    pub session: u64,
    /// TeamUp's figure.
    pub reported: Decimal,
    /// The pay under the inferred policy.
    pub computed: Decimal,
    /// The currency of both.
    pub currency: Currency,
}

/// One rate's inference and what its sessions showed.
#[derive(Debug, Clone)]
pub struct InferredRate {
    /// The rate's id.
    pub id: RateId,
    /// Its name on the session with the highest id.
    pub name: String,
    /// Its kinds seen (`per_customer`, ...), sorted.
    pub kinds: Vec<&'static str>,
    /// Its bases seen (not for tiered rates), sorted.
    pub bases: Vec<String>,
    /// Sessions with a provisional figure (not used).
    pub pending: u64,
    /// Sessions without a figure (not used).
    pub unreported: u64,
    /// Some session had a comped attendee.
    pub had_comped: bool,
    /// Some session had a late cancellation.
    pub had_late_cancels: bool,
    /// Some session had a no-show.
    pub had_no_shows: bool,
    /// The policy found and the evidence.
    pub inference: RateInference,
    /// The sessions it does not explain, by id.
    pub outliers: Vec<OutlierSession>,
}

impl InferredRate {
    /// More than half of the sessions with a final figure are explained (or there are none).
    pub fn explains_most(&self) -> bool {
        let i = &self.inference;
        i.seen == 0 || i.explained * 2 > i.seen
    }

    /// The share of sessions explained, when there are any.
    pub fn confidence(&self) -> Option<Decimal> {
        let i = &self.inference;
        (i.seen > 0).then(|| Decimal::from(i.explained) / Decimal::from(i.seen))
    }

    /// The keys of the settings left undetermined.
    pub fn undetermined(&self) -> Vec<&'static str> {
        self.inference
            .settings
            .iter()
            .filter(|r| !r.finding.is_determined())
            .map(|r| r.setting.key())
            .collect()
    }

    /// The keys of the settings adopted on little evidence.
    pub fn weak(&self) -> Vec<&'static str> {
        self.inference
            .settings
            .iter()
            .filter(|r| r.finding.is_weak())
            .map(|r| r.setting.key())
            .collect()
    }
}

impl Observations {
    /// Infers every rate's policy, the rates shared out over `threads`
    /// (the run's); the result does not depend on the order sessions came in.
    ///
    /// # Errors
    /// [`Error::Infer`], naming the rate.
    pub fn infer(mut self, options: &InferOptions, threads: usize) -> Result<Inferred> {
        let mut per_rate: BTreeMap<RateId, Vec<Bucket<'_>>> = BTreeMap::new();
        for (id, kinds) in &mut self.by_rate {
            let buckets = per_rate.entry(*id).or_default();
            for ByKind { kind, sessions } in kinds.iter_mut() {
                for (figures, mut ids) in sessions.drain() {
                    ids.sort_unstable();
                    buckets.push((&*kind, figures, ids));
                }
            }
        }
        for id in self.tallies.keys() {
            per_rate.entry(*id).or_default();
        }
        let mut work: Vec<(RateId, Vec<Bucket<'_>>)> = per_rate.into_iter().collect();
        for (_, buckets) in &mut work {
            // A fixed order, so the output does not depend on the input's.
            buckets.sort_by(|a, b| a.2[0].cmp(&b.2[0]));
        }
        let results = map_items(&work, threads, |(id, buckets)| infer_one(*id, buckets, options));
        let mut rates = results.into_iter().collect::<Result<Vec<_>>>()?;
        for rate in &mut rates {
            if let Some(tally) = self.tallies.get(&rate.id) {
                rate.name = tally.name.name.clone();
                rate.pending = tally.pending;
                rate.unreported = tally.unreported;
            }
        }
        let venues = self
            .venues
            .iter()
            .map(|(id, (currency, named))| {
                (
                    *id,
                    SeenVenue {
                        currency: *currency,
                        name: named.name.clone(),
                    },
                )
            })
            .collect();
        Ok(Inferred {
            rates,
            venues,
            unrated: self.unrated,
        })
    }
}

/// On the error path only: the first session of the first observation that
/// fails the search on its own (its figures overflow under some candidate
/// policy), so the message names a row the user can find.
fn failing_session(
    buckets: &[Bucket<'_>],
    observations: &[Observation<'_>],
    options: &InferOptions,
) -> Option<u64> {
    observations
        .iter()
        .position(|o| infer_rate_policy(std::slice::from_ref(o), options).is_err())
        .and_then(|at| buckets[at].2.first().copied())
}

fn infer_one(id: RateId, buckets: &[Bucket<'_>], options: &InferOptions) -> Result<InferredRate> {
    let observations: Vec<Observation<'_>> = buckets
        .iter()
        .map(|(kind, f, ids)| Observation {
            kind,
            counts: f.counts,
            hours: f.hours,
            currency: f.currency,
            reported: f.reported,
            sessions: ids.len() as u64,
        })
        .collect();
    let inference = infer_rate_policy(&observations, options).map_err(|source| Error::Infer {
        rate: id.0,
        session: failing_session(buckets, &observations, options),
        source,
    })?;
    let mut outliers = Vec::new();
    for o in &inference.outliers {
        let (_, f, ids) = &buckets[o.index];
        for session in ids {
            outliers.push(OutlierSession {
                session: *session,
                reported: f.reported,
                computed: o.computed,
                currency: f.currency,
            });
        }
    }
    outliers.sort_by_key(|o| o.session);
    let mut kinds: Vec<&'static str> = buckets.iter().map(|(kind, ..)| kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut bases: Vec<String> = buckets
        .iter()
        .filter_map(|(kind, ..)| match kind {
            RateKind::PerCustomer { base } | RateKind::PerHour { base } => Some(base.to_string()),
            RateKind::Tiered { .. } => None,
        })
        .collect();
    bases.sort();
    bases.dedup();
    let has = |test: fn(&Counts) -> bool| buckets.iter().any(|(_, f, _)| test(&f.counts));
    Ok(InferredRate {
        id,
        name: String::new(),
        kinds,
        bases,
        pending: 0,
        unreported: 0,
        had_comped: has(|c| c.comped() > 0),
        had_late_cancels: has(|c| c.late_cancels() > 0),
        had_no_shows: has(|c| c.no_shows() > 0),
        inference,
        outliers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use sessionpay_core::RateTable;

    use crate::run::tests::{csv, row};
    use crate::{Lines, Run, RunOptions};

    fn observe(inputs: &[sessionpay_io::Input]) -> Observations {
        let table = RateTable::default();
        let (observations, _) = Run::new(inputs, &table, RunOptions::default().threads(1))
            .collect(Observations::default)
            .expect("run");
        observations
    }

    #[test]
    fn sessions_of_the_same_rate_content_share_an_observation_across_inputs() {
        let dir = tempfile::tempdir().expect("temp dir");
        // Each input gives its rates their own allocation: the key is the content.
        let a = csv(dir.path(), "a.csv", &[row(1, 4, "20.00")]);
        let b = csv(dir.path(), "b.csv", &[row(2, 4, "20.00"), row(3, 2, "10.00")]);
        let observations = observe(&[a, b]);
        let kinds = &observations.by_rate[&RateId(3)];
        assert_eq!(kinds.len(), 1);
        let mut sessions: Vec<Vec<u64>> = kinds[0].sessions.values().cloned().collect();
        sessions.sort();
        assert_eq!(sessions, [vec![1, 2], vec![3]]);
    }

    #[test]
    fn a_rate_whose_base_changes_keeps_both_contents() {
        let dir = tempfile::tempdir().expect("temp dir");
        let other = row(2, 4, "24.00").replace("per_customer,5,", "per_customer,6,");
        let observations = observe(&[csv(dir.path(), "a.csv", &[row(1, 4, "20.00"), other])]);
        assert_eq!(observations.by_rate[&RateId(3)].len(), 2);
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
        let whole = observe(&[csv(dir.path(), "all.csv", &rows)]);
        let mut first = observe(&[csv(dir.path(), "first.csv", &rows[..17])]);
        first
            .merge(observe(&[csv(dir.path(), "rest.csv", &rows[17..])]))
            .expect("merge");
        let options = InferOptions { min_support: 2 };
        let text = |o: Observations, threads| format!("{:?}", o.infer(&options, threads).expect("infer"));
        let one = text(whole.clone(), 1);
        assert_eq!(one, text(whole, 4));
        assert_eq!(one, text(first, 2));
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
        let observations = observe(&inputs);
        assert_eq!(observations.tallies[&RateId(3)].name.from, 1);
    }
}
