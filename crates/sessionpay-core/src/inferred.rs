//! The observations of `rates infer` and what the search finds in them.
//!
//! [`ObservationSet`] folds every session with a final figure into the
//! distinct sessions of its rate (same rate content, counts, hours, currency
//! and figure) with a multiplicity, so it grows with the distinct
//! observations, not with the sessions: each keeps its count and at most a
//! fixed number of example session ids (the smallest). Sets built from parts
//! of the input merge into the set of the whole. [`RateObservations::infer`]
//! runs [`infer_rate_policy`] over one rate's observations, giving an
//! [`InferredRate`]; [`Inferred`] is every rate's, the values the policy file
//! and the report are written from.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::error::Result;
use crate::infer::{infer_rate_policy, InferOptions, Observation, RateInference};
use crate::money::Currency;
use crate::rate::{RateId, RateKind};
use crate::session::{Counts, Session, VenueId};

/// What pay depends on besides the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Figures {
    counts: Counts,
    hours: Decimal,
    currency: Currency,
    reported: Decimal,
}

impl Figures {
    /// The figures of a session of `kind`, with what no policy's pay of that
    /// kind can depend on left out, so that sessions every candidate policy
    /// pays alike share one observation: a rate that counts customers pays
    /// the same whatever the hours (kept as zero); a per-hour rate reads the
    /// counts only to see whether nobody is counted, which depends only on
    /// whether each count is zero (each kept as at most one).
    fn of(kind: &RateKind, s: &Session, reported: Decimal) -> Figures {
        let (counts, hours) = if kind.counts_customers() {
            (s.counts, Decimal::ZERO)
        } else {
            let c = &s.counts;
            let paid = (c.attended() - c.comped()).min(1);
            let comped = c.comped().min(1);
            let counts = Counts::try_new(
                paid + comped,
                comped,
                c.late_cancels().min(1),
                c.no_shows().min(1),
            )
            .unwrap_or(s.counts);
            (counts, s.hours)
        };
        Figures {
            counts,
            hours,
            currency: s.currency,
            reported,
        }
    }
}

/// The sessions behind one distinct observation: how many, and the smallest
/// of their ids, ascending, at most [`ObservationSet::examples`] of them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Behind {
    sessions: u64,
    ids: Vec<u64>,
}

impl Behind {
    fn one(id: u64) -> Behind {
        Behind {
            sessions: 1,
            ids: vec![id],
        }
    }

    /// Counts session `id`, keeping it if it is among the `keep` smallest.
    fn add(&mut self, id: u64, keep: usize) {
        self.sessions += 1;
        // Ids mostly come in ascending order: the common case is one compare.
        if self.ids.len() >= keep && self.ids.last().is_some_and(|last| id > *last) {
            return;
        }
        let at = self.ids.partition_point(|x| *x < id);
        self.ids.insert(at, id);
        self.ids.truncate(keep);
    }

    fn merge(&mut self, other: Behind, keep: usize) {
        self.sessions += other.sessions;
        let mut ids = Vec::with_capacity((self.ids.len() + other.ids.len()).min(keep));
        let (mut a, mut b) = (self.ids.iter().peekable(), other.ids.iter().peekable());
        while ids.len() < keep {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x <= y => a.next(),
                (Some(_), Some(_)) | (None, Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, None) => break,
            };
            if let Some(id) = next {
                ids.push(*id);
            }
        }
        self.ids = ids;
    }
}

/// The sessions of one rate content (kind, base or tiers), by figures.
#[derive(Debug, Clone)]
struct ByKind {
    kind: RateKind,
    observed: HashMap<Figures, Behind>,
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
            name.clone_into(&mut self.name);
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

/// Everything `rates infer` keeps of the sessions it reads: the distinct
/// observations of each rate, keyed by rate content (two inputs that each
/// carry the rate count as one), the rates' and venues' names, and the
/// sessions that cannot be used. Its size is bounded by the distinct
/// observations and names, whatever the number of sessions.
///
/// ```
/// use std::sync::Arc;
/// use rust_decimal::Decimal;
/// use sessionpay_core::*;
///
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// let rate = Arc::new(PayRate::try_new(RateId(3), "Group".into(), RateKind::PerCustomer { base: d("5") })?);
/// let session = |id: u64, attended: u32, reported: &str| Session {
///     id: SessionId(id), name: "Spin".into(),
///     instructor: InstructorId(1), instructor_name: "Ana".into(),
///     venue: VenueId(101), venue_name: "Camden".into(), zone: chrono_tz::Europe::London,
///     starts_at: "2026-05-02T09:00:00Z".parse().unwrap(), hours: d("1"),
///     counts: Counts::try_new(attended, 0, 0, 0).unwrap(), session_type: SessionType::Class,
///     rate: Some(rate.clone()), reported: Some(d(reported)), pending: false,
///     currency: Currency::try_from_code("GBP").unwrap(),
/// };
/// let mut first = ObservationSet::new(20);
/// first.add(&session(1, 4, "20.00"));
/// let mut rest = ObservationSet::new(20);
/// rest.add(&session(2, 4, "20.00"));
/// rest.add(&session(3, 2, "12.00"));
/// first.merge(rest);
/// assert_eq!(first.distinct(), 2);
/// let inferred = first.infer(&InferOptions::default())?;
/// let rate = &inferred.rates[0];
/// assert_eq!((rate.inference.seen, rate.inference.explained), (3, 2));
/// assert_eq!(rate.outlier_sessions(), 1);
/// assert_eq!(rate.listed_outliers(10)[0].session, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ObservationSet {
    examples: usize,
    by_rate: HashMap<RateId, Vec<ByKind>>,
    tallies: BTreeMap<RateId, RateTally>,
    venues: BTreeMap<VenueId, (Currency, Named)>,
    unrated: u64,
}

impl ObservationSet {
    /// An empty set that keeps, of each observation, the `examples` smallest
    /// session ids (at least one: the smallest orders the observations).
    pub fn new(examples: usize) -> ObservationSet {
        ObservationSet {
            examples: examples.max(1),
            by_rate: HashMap::new(),
            tallies: BTreeMap::new(),
            venues: BTreeMap::new(),
            unrated: 0,
        }
    }

    /// How many session ids it keeps per observation.
    pub fn examples(&self) -> usize {
        self.examples
    }

    /// The distinct observations held, over every rate.
    pub fn distinct(&self) -> usize {
        self.by_rate
            .values()
            .flat_map(|kinds| kinds.iter())
            .map(|k| k.observed.len())
            .sum()
    }

    /// Takes one session: nothing is priced.
    pub fn add(&mut self, s: &Session) {
        let venue = self
            .venues
            .entry(s.venue)
            .or_insert_with(|| (s.currency, Named::default()));
        venue.1.offer(&s.venue_name, s.id.0);
        let Some(rate) = &s.rate else {
            self.unrated += 1;
            return;
        };
        let tally = self.tallies.entry(rate.id).or_default();
        tally.name.offer(&rate.name, s.id.0);
        if s.pending {
            tally.pending += 1;
            return;
        }
        let Some(reported) = s.reported else {
            tally.unreported += 1;
            return;
        };
        let kinds = self.by_rate.entry(rate.id).or_default();
        let at = match kinds.iter().position(|k| k.kind == rate.kind) {
            Some(at) => at,
            None => {
                kinds.push(ByKind {
                    kind: rate.kind.clone(),
                    observed: HashMap::new(),
                });
                kinds.len() - 1
            }
        };
        let figures = Figures::of(&rate.kind, s, reported);
        match kinds[at].observed.entry(figures) {
            std::collections::hash_map::Entry::Occupied(mut o) => o.get_mut().add(s.id.0, self.examples),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(Behind::one(s.id.0));
            }
        }
    }

    /// Takes everything another set took, as if this one had read it too.
    /// Both keep the same number of examples or the fewer is kept.
    pub fn merge(&mut self, other: ObservationSet) {
        let keep = self.examples.min(other.examples);
        self.examples = keep;
        for (id, theirs) in other.by_rate {
            let mine = self.by_rate.entry(id).or_default();
            for kind in theirs {
                match mine.iter_mut().find(|k| k.kind == kind.kind) {
                    Some(k) => {
                        for (figures, behind) in kind.observed {
                            match k.observed.entry(figures) {
                                std::collections::hash_map::Entry::Occupied(mut o) => {
                                    o.get_mut().merge(behind, keep);
                                }
                                std::collections::hash_map::Entry::Vacant(v) => {
                                    v.insert(behind);
                                }
                            }
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
    }

    /// Every rate's observations, by rate id, each in a fixed order (by the
    /// smallest session id behind it), so the search does not depend on the
    /// order sessions came in. The set keeps the names and tallies for
    /// [`ObservationSet::finish`].
    pub fn take_rates(&mut self) -> Vec<RateObservations> {
        let mut per_rate: BTreeMap<RateId, RateObservations> = BTreeMap::new();
        for (id, kinds) in self.by_rate.drain() {
            let rate = per_rate.entry(id).or_insert_with(|| RateObservations::empty(id));
            for ByKind { kind, observed } in kinds {
                let at = rate.kinds.len();
                rate.kinds.push(kind);
                rate.buckets
                    .extend(observed.into_iter().map(|(figures, behind)| Bucket {
                        kind: at,
                        figures,
                        behind,
                    }));
            }
        }
        for id in self.tallies.keys() {
            per_rate
                .entry(*id)
                .or_insert_with(|| RateObservations::empty(*id));
        }
        per_rate
            .into_values()
            .map(|mut rate| {
                rate.buckets.sort_by_key(|b| b.behind.ids.first().copied());
                rate
            })
            .collect()
    }

    /// What the search found, given every rate's [`RateObservations::infer`]
    /// in any order: the rates by id with their names and the sessions they
    /// could not use, and every venue seen.
    pub fn finish(self, mut rates: Vec<InferredRate>, options: &InferOptions) -> Inferred {
        rates.sort_by_key(|r| r.id);
        for rate in &mut rates {
            if let Some(tally) = self.tallies.get(&rate.id) {
                rate.name.clone_from(&tally.name.name);
                rate.pending = tally.pending;
                rate.unreported = tally.unreported;
            }
        }
        let venues = self
            .venues
            .into_iter()
            .map(|(id, (currency, named))| {
                (
                    id,
                    SeenVenue {
                        currency,
                        name: named.name,
                    },
                )
            })
            .collect();
        Inferred {
            rates,
            venues,
            unrated: self.unrated,
            min_support: options.min_support,
        }
    }

    /// [`ObservationSet::take_rates`], each rate inferred in turn, and
    /// [`ObservationSet::finish`]: the whole search on one thread.
    ///
    /// # Errors
    /// As [`RateObservations::infer`].
    pub fn infer(mut self, options: &InferOptions) -> Result<Inferred> {
        let rates = self
            .take_rates()
            .iter()
            .map(|r| r.infer(options))
            .collect::<Result<Vec<_>>>()?;
        Ok(self.finish(rates, options))
    }
}

/// One distinct observation of a rate and the sessions behind it.
#[derive(Debug, Clone)]
struct Bucket {
    /// Its rate content, in [`RateObservations::kinds`].
    kind: usize,
    figures: Figures,
    behind: Behind,
}

/// One rate's distinct observations, ready for the search.
#[derive(Debug, Clone)]
pub struct RateObservations {
    id: RateId,
    /// The rate's contents seen (a rate whose base changed has two); the
    /// search tells them apart by address, so each is held once.
    kinds: Vec<RateKind>,
    buckets: Vec<Bucket>,
}

impl RateObservations {
    fn empty(id: RateId) -> RateObservations {
        RateObservations {
            id,
            kinds: Vec::new(),
            buckets: Vec::new(),
        }
    }

    fn kind(&self, b: &Bucket) -> &RateKind {
        &self.kinds[b.kind]
    }

    /// The rate's id.
    pub fn id(&self) -> RateId {
        self.id
    }

    /// The distinct observations.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no session of the rate had a final figure.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    fn observations(&self) -> Vec<Observation<'_>> {
        self.buckets
            .iter()
            .map(|b| Observation {
                kind: self.kind(b),
                counts: b.figures.counts,
                hours: b.figures.hours,
                currency: b.figures.currency,
                reported: b.figures.reported,
                sessions: b.behind.sessions,
            })
            .collect()
    }

    /// The policy that explains the most of the rate's sessions
    /// ([`infer_rate_policy`]), with what the sessions showed.
    ///
    /// # Errors
    /// [`crate::Error::Overflow`] when pricing an observation overflows
    /// ([`RateObservations::failing_session`] names one).
    pub fn infer(&self, options: &InferOptions) -> Result<InferredRate> {
        let observations = self.observations();
        let inference = infer_rate_policy(&observations, options)?;
        let outliers = inference
            .outliers
            .iter()
            .filter_map(|o| {
                let b = self.buckets.get(o.index)?;
                Some(OutlierGroup {
                    kind: self.kind(b).clone(),
                    counts: b.figures.counts,
                    hours: b.figures.hours,
                    currency: b.figures.currency,
                    reported: b.figures.reported,
                    computed: o.computed,
                    sessions: b.behind.sessions,
                    ids: b.behind.ids.clone(),
                })
            })
            .collect();
        let mut kinds: Vec<&'static str> = self.buckets.iter().map(|b| self.kind(b).as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let mut bases: Vec<String> = self
            .buckets
            .iter()
            .filter_map(|b| match self.kind(b) {
                RateKind::PerCustomer { base } | RateKind::PerHour { base } => Some(base.to_string()),
                RateKind::Tiered { .. } => None,
            })
            .collect();
        bases.sort();
        bases.dedup();
        let has = |test: fn(&Counts) -> bool| self.buckets.iter().any(|b| test(&b.figures.counts));
        Ok(InferredRate {
            id: self.id,
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

    /// On the error path only: the first session of the first observation
    /// that fails the search on its own (its figures overflow under some
    /// candidate policy), so a message can name a row the user can find.
    pub fn failing_session(&self, options: &InferOptions) -> Option<u64> {
        let observations = self.observations();
        observations
            .iter()
            .position(|o| infer_rate_policy(std::slice::from_ref(o), options).is_err())
            .and_then(|at| self.buckets.get(at)?.behind.ids.first().copied())
    }
}

/// A venue as the sessions show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenVenue {
    /// Its settled currency.
    pub currency: Currency,
    /// Its name on the session with the highest id (empty for a venue only
    /// the policy file names).
    pub name: String,
}

/// What the inference found, rate by rate.
#[derive(Debug, Clone)]
pub struct Inferred {
    /// Every rate seen, by id.
    pub rates: Vec<InferredRate>,
    /// Every venue seen.
    pub venues: BTreeMap<VenueId, SeenVenue>,
    /// Sessions without a pay rate (not used).
    pub unrated: u64,
    /// The [`InferOptions::min_support`] it was found with.
    pub min_support: u64,
}

impl Inferred {
    /// Adds the venues a policy file declares that no session showed (with
    /// no name), so the inferred file keeps their currencies.
    pub fn declare_venues(&mut self, declared: impl IntoIterator<Item = (VenueId, Currency)>) {
        for (venue, currency) in declared {
            self.venues.entry(venue).or_insert(SeenVenue {
                currency,
                name: String::new(),
            });
        }
    }

    /// Sessions seen and explained, over every rate.
    pub fn totals(&self) -> (u64, u64) {
        self.rates.iter().fold((0, 0), |(seen, explained), r| {
            (seen + r.inference.seen, explained + r.inference.explained)
        })
    }

    /// Whether every outlier's session ids are at hand (each
    /// [`OutlierGroup::is_complete`]), as a report listing them all needs.
    pub fn outliers_complete(&self) -> bool {
        self.rates
            .iter()
            .all(|r| r.outliers.iter().all(OutlierGroup::is_complete))
    }

    /// What a second reading needs to find every outlier's session ids: one
    /// [`OutlierFinder`] over the same sessions, given to
    /// [`Inferred::fill_outliers`].
    pub fn outlier_finder(&self) -> OutlierFinder {
        let mut wanted = HashMap::new();
        for (r, rate) in self.rates.iter().enumerate() {
            for (g, group) in rate.outliers.iter().enumerate() {
                if !group.is_complete() {
                    wanted
                        .entry((rate.id, group.figures()))
                        .or_insert_with(Vec::new)
                        .push((group.kind.clone(), (r, g)));
                }
            }
        }
        OutlierFinder {
            wanted,
            found: BTreeMap::new(),
        }
    }

    /// Takes the ids an [`OutlierFinder`] found: each group it looked for
    /// gets every id of its sessions.
    pub fn fill_outliers(&mut self, finder: OutlierFinder) {
        for ((r, g), mut ids) in finder.found {
            if let Some(group) = self.rates.get_mut(r).and_then(|rate| rate.outliers.get_mut(g)) {
                ids.sort_unstable();
                group.ids = ids;
            }
        }
    }
}

/// Where an outlier group is: its rate's index in [`Inferred::rates`] and
/// its own in [`InferredRate::outliers`].
type GroupAt = (usize, usize);

/// Finds the session ids of the outliers whose ids an [`ObservationSet`]
/// did not keep, on a second reading of the same sessions; mergeable.
#[derive(Debug, Clone)]
pub struct OutlierFinder {
    /// By rate and figures: the rate contents looked for, and where each
    /// group is in [`Inferred::rates`].
    wanted: HashMap<(RateId, Figures), Vec<(RateKind, GroupAt)>>,
    found: BTreeMap<GroupAt, Vec<u64>>,
}

impl OutlierFinder {
    /// Whether it looks for nothing (every outlier's ids are at hand).
    pub fn is_empty(&self) -> bool {
        self.wanted.is_empty()
    }

    /// Takes one session, keeping its id when it is one of the outliers'.
    pub fn add(&mut self, s: &Session) {
        let (Some(rate), Some(reported)) = (&s.rate, s.reported) else {
            return;
        };
        if s.pending {
            return;
        }
        let figures = Figures::of(&rate.kind, s, reported);
        let Some(kinds) = self.wanted.get(&(rate.id, figures)) else {
            return;
        };
        if let Some((_, at)) = kinds.iter().find(|(kind, _)| *kind == rate.kind) {
            self.found.entry(*at).or_default().push(s.id.0);
        }
    }

    /// Takes what another finder over other sessions found.
    pub fn merge(&mut self, other: OutlierFinder) {
        for (at, ids) in other.found {
            self.found.entry(at).or_default().extend(ids);
        }
    }
}

/// One distinct observation the inferred policy does not explain, and the
/// sessions behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlierGroup {
    /// The rate's content on these sessions.
    pub kind: RateKind,
    /// Their attendance counts (for a per-hour rate, each at most one: only
    /// whether it is zero enters the pay).
    pub counts: Counts,
    /// Their hours (zero for a rate that counts customers: they do not
    /// enter the pay).
    pub hours: Decimal,
    /// The currency of both figures.
    pub currency: Currency,
    /// TeamUp's figure.
    pub reported: Decimal,
    /// The pay under the inferred policy.
    pub computed: Decimal,
    /// How many sessions share it.
    pub sessions: u64,
    /// The smallest of their ids, ascending: all of them when
    /// [`OutlierGroup::is_complete`].
    pub ids: Vec<u64>,
}

impl OutlierGroup {
    /// Whether `ids` holds every session's id.
    pub fn is_complete(&self) -> bool {
        self.ids.len() as u64 == self.sessions
    }

    fn figures(&self) -> Figures {
        Figures {
            counts: self.counts,
            hours: self.hours,
            currency: self.currency,
            reported: self.reported,
        }
    }
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
    /// The distinct observations it does not explain, in the search's order.
    pub outliers: Vec<OutlierGroup>,
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

    /// The sessions the policy does not explain.
    pub fn outlier_sessions(&self) -> u64 {
        self.outliers.iter().map(|g| g.sessions).sum()
    }

    /// The outlier sessions with the `n` smallest ids, by id: all of them
    /// when `n` is at least [`InferredRate::outlier_sessions`] and every
    /// group is complete. Exact as long as `n` is no more than the examples
    /// the observations kept.
    pub fn listed_outliers(&self, n: usize) -> Vec<OutlierSession> {
        let mut listed: Vec<OutlierSession> = self
            .outliers
            .iter()
            .flat_map(|g| {
                g.ids.iter().take(n).map(|id| OutlierSession {
                    session: *id,
                    reported: g.reported,
                    computed: g.computed,
                    currency: g.currency,
                })
            })
            .collect();
        listed.sort_by_key(|o| o.session);
        listed.truncate(n);
        listed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::calc::pay_for;
    use crate::policy::{RatePolicy, TierMode};
    use crate::rate::{PayRate, Tiers};
    use crate::session::{InstructorId, SessionId, SessionType};
    use crate::testing::{d, gbp};

    fn rates() -> Vec<(Arc<PayRate>, RatePolicy)> {
        let t = crate::testing::tier;
        let tiers = Tiers::try_new(vec![t(1, Some(5), "2.10"), t(6, None, "3.05")]).unwrap();
        let rate = |id, kind| Arc::new(PayRate::try_new(RateId(id), format!("Rate {id}"), kind).unwrap());
        vec![
            (
                rate(1, RateKind::PerCustomer { base: d("4.25") }),
                RatePolicy {
                    count_late_cancels: true,
                    ..Default::default()
                },
            ),
            (
                rate(2, RateKind::Tiered { tiers }),
                RatePolicy {
                    tier_mode: TierMode::Graduated,
                    max_pay: Some(d("30")),
                    ..Default::default()
                },
            ),
            (
                rate(3, RateKind::PerHour { base: d("4.69") }),
                RatePolicy::default(),
            ),
        ]
    }

    /// A session of `rates()[rate]`, paid as its policy says or, when
    /// `wrong`, one pound more.
    fn session(id: u64, rate: usize, attended: u32, late: u32, half_hours: u32, wrong: bool) -> Session {
        let (rate, policy) = rates().swap_remove(rate);
        let counts = Counts::try_new(attended, 0, late, 0).unwrap();
        let hours = Decimal::new(i64::from(half_hours) * 5, 1);
        let mut reported = pay_for(Some(&rate.kind), &counts, hours, gbp(), &policy)
            .unwrap()
            .pay;
        if wrong {
            reported += Decimal::ONE;
        }
        reported.rescale(2);
        Session {
            id: SessionId(id),
            name: "Spin".into(),
            instructor: InstructorId(7),
            instructor_name: "Ana".into(),
            venue: VenueId(100 + id % 3),
            venue_name: format!("Venue {}", id % 5).into(),
            zone: chrono_tz::Europe::London,
            starts_at: "2026-05-02T09:00:00Z".parse().unwrap(),
            hours,
            counts,
            session_type: SessionType::Class,
            rate: (!id.is_multiple_of(17)).then_some(rate),
            reported: (!id.is_multiple_of(13)).then_some(reported),
            pending: id.is_multiple_of(11),
            currency: gbp(),
        }
    }

    fn one_pass(sessions: &[Session], examples: usize) -> ObservationSet {
        let mut set = ObservationSet::new(examples);
        for s in sessions {
            set.add(s);
        }
        set
    }

    #[test]
    fn an_observation_keeps_its_count_and_only_its_smallest_ids() {
        let mut b = Behind::one(50);
        for id in [10, 70, 30, 20, 60, 5] {
            b.add(id, 3);
        }
        assert_eq!((b.sessions, b.ids.clone()), (7, vec![5, 10, 20]));
        let mut other = Behind::one(7);
        other.add(40, 3);
        b.merge(other, 3);
        assert_eq!((b.sessions, b.ids), (9, vec![5, 7, 10]));
    }

    #[test]
    fn the_set_grows_with_distinct_observations_not_with_sessions() {
        let same: Vec<Session> = (1..=5000)
            .map(|id| session(id * 17 + 1, 0, 4, 1, 2, false))
            .collect();
        let set = one_pass(&same, 20);
        assert_eq!(set.distinct(), 1);
        let behind: Vec<&Behind> = set
            .by_rate
            .values()
            .flat_map(|k| k.iter().flat_map(|k| k.observed.values()))
            .collect();
        assert_eq!(behind[0].ids.len(), 20);
        assert!(behind[0].sessions > 4000);
    }

    #[test]
    fn outliers_list_the_smallest_ids_and_count_every_session() {
        let mut sessions: Vec<Session> = (1..=60).map(|id| session(id * 2, 0, 3, 0, 2, false)).collect();
        // Twelve sessions paid a pound too much (one observation), with ids in reverse.
        sessions.extend((1..=12).rev().map(|k| session(1000 + k * 2, 0, 3, 0, 2, true)));
        let inferred = one_pass(&sessions, 5).infer(&InferOptions::default()).unwrap();
        let rate = &inferred.rates[0];
        assert_eq!(rate.outliers.len(), 1);
        assert_eq!(rate.outlier_sessions(), rate.outliers[0].sessions);
        assert!(!inferred.outliers_complete());
        let listed: Vec<u64> = rate.listed_outliers(3).iter().map(|o| o.session).collect();
        assert_eq!(listed, [1002, 1004, 1006]);
        assert_eq!(
            rate.listed_outliers(3)[0].reported - rate.listed_outliers(3)[0].computed,
            Decimal::ONE
        );
    }

    #[test]
    fn declared_venues_join_the_seen_ones_without_replacing_them() {
        let mut inferred = one_pass(&[session(1, 0, 3, 0, 2, false)], 1)
            .infer(&InferOptions::default())
            .unwrap();
        let eur = Currency::try_from_code("EUR").unwrap();
        inferred.declare_venues([(VenueId(101), eur), (VenueId(900), eur)]);
        assert_eq!(inferred.venues[&VenueId(101)].currency, gbp());
        assert_eq!(inferred.venues[&VenueId(101)].name, "Venue 1");
        assert_eq!(inferred.venues[&VenueId(900)].name, "");
    }

    /// A session list with its order shuffled and cut into parts.
    fn split_inputs() -> impl Strategy<Value = (Vec<Session>, Vec<usize>, Vec<usize>, usize)> {
        let one = (
            0usize..3,
            0u32..12,
            0u32..3,
            1u32..5,
            proptest::bool::weighted(0.1),
        );
        (proptest::collection::vec(one, 1..120), 1usize..5, 1usize..6).prop_flat_map(
            |(cases, parts, examples)| {
                let n = cases.len();
                let sessions: Vec<Session> = cases
                    .into_iter()
                    .enumerate()
                    .map(|(i, (rate, a, l, h, wrong))| session(i as u64 + 1, rate, a, l, h, wrong))
                    .collect();
                (
                    Just(sessions),
                    Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
                    proptest::collection::vec(0..parts, n),
                    Just(examples),
                )
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Observation sets built from parts of the input, in any order,
        /// merged in any order, infer exactly what one pass infers.
        #[test]
        fn merged_parts_infer_what_one_pass_infers((sessions, order, part_of, examples) in split_inputs()) {
            let options = InferOptions { min_support: 2 };
            let whole = format!("{:?}", one_pass(&sessions, examples).infer(&options).unwrap());
            let parts = part_of.iter().max().map_or(1, |m| m + 1);
            let mut sets: Vec<ObservationSet> = (0..parts).map(|_| ObservationSet::new(examples)).collect();
            for &i in &order {
                sets[part_of[i]].add(&sessions[i]);
            }
            // Merge from the last part backwards, so a part's sets are not merged in input order.
            let mut merged = ObservationSet::new(examples);
            for set in sets.into_iter().rev() {
                merged.merge(set);
            }
            prop_assert_eq!(format!("{:?}", merged.infer(&options).unwrap()), whole);
        }
    }
}
