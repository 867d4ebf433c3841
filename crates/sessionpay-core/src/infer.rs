//! Inferring each rate's hidden policy from TeamUp's own figures.
//!
//! TeamUp keeps a rate's policy (SPEC section 2) off the report, but every
//! session with a final figure is evidence of it. [`infer_rate_policy`] takes
//! the sessions of one rate, aggregated into distinct [`Observation`]s with
//! multiplicities, and finds the policy that explains the most of them
//! exactly, with the evidence for each setting (see it for the search).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::calc::{counted_customers, formula_of, pay_for, Exact};
use crate::error::Result;
use crate::money::{Currency, RoundingMode};
use crate::policy::{HoursBasis, PolicyOverrides, RatePolicy, TierMode};
use crate::rate::RateKind;
use crate::session::Counts;

/// Sessions of one rate that share everything pay depends on, with how many there were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation<'a> {
    /// The rate's kind (base or tiers) on these sessions.
    pub kind: &'a RateKind,
    /// Attendance counts.
    pub counts: Counts,
    /// Duration in hours.
    pub hours: Decimal,
    /// The sessions' currency.
    pub currency: Currency,
    /// TeamUp's final figure.
    pub reported: Decimal,
    /// How many sessions share all of the above (zero contributes nothing).
    pub sessions: u64,
}

/// Tuning of [`infer_rate_policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InferOptions {
    /// The fewest sessions by which a setting must out-explain its alternative
    /// to be [`Finding::Determined`]; also what it takes to leave a default.
    /// At least 1; the default 2 keeps one wrong figure from changing a setting.
    pub min_support: u64,
}

impl Default for InferOptions {
    fn default() -> InferOptions {
        InferOptions { min_support: 2 }
    }
}

/// One setting of a rate policy (SPEC section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Setting {
    /// [`RatePolicy::count_comped`].
    CountComped,
    /// [`RatePolicy::count_late_cancels`].
    CountLateCancels,
    /// [`RatePolicy::count_no_shows`].
    CountNoShows,
    /// [`RatePolicy::tier_mode`].
    TierMode,
    /// [`RatePolicy::empty_session_pay`].
    EmptySessionPay,
    /// [`RatePolicy::max_pay`].
    MaxPay,
    /// [`RatePolicy::rounding`].
    Rounding,
    /// [`RatePolicy::hours_basis`].
    HoursBasis,
}

impl Setting {
    /// Every setting, in the order of SPEC section 2.
    pub const ALL: [Setting; 8] = [
        Setting::CountComped,
        Setting::CountLateCancels,
        Setting::CountNoShows,
        Setting::TierMode,
        Setting::EmptySessionPay,
        Setting::MaxPay,
        Setting::Rounding,
        Setting::HoursBasis,
    ];

    /// The key of the setting in a policy file.
    pub fn key(self) -> &'static str {
        match self {
            Setting::CountComped => "count_comped",
            Setting::CountLateCancels => "count_late_cancels",
            Setting::CountNoShows => "count_no_shows",
            Setting::TierMode => "tier_mode",
            Setting::EmptySessionPay => "empty_session_pay",
            Setting::MaxPay => "max_pay",
            Setting::Rounding => "rounding",
            Setting::HoursBasis => "hours_basis",
        }
    }

    /// Whether `policy` has this setting at its SPEC default.
    pub fn is_default(self, policy: &RatePolicy) -> bool {
        let d = RatePolicy::default();
        match self {
            Setting::CountComped => policy.count_comped == d.count_comped,
            Setting::CountLateCancels => policy.count_late_cancels == d.count_late_cancels,
            Setting::CountNoShows => policy.count_no_shows == d.count_no_shows,
            Setting::TierMode => policy.tier_mode == d.tier_mode,
            Setting::EmptySessionPay => policy.empty_session_pay.is_none(),
            Setting::MaxPay => policy.max_pay.is_none(),
            Setting::Rounding => policy.rounding == d.rounding,
            Setting::HoursBasis => policy.hours_basis == d.hours_basis,
        }
    }

    /// The value of this setting in `policy` as a policy file writes it
    /// (`true`, `"graduated"`, `"80.5"`: amounts exact, without trailing
    /// zeros), or `None` for an unset amount.
    ///
    /// ```
    /// use sessionpay_core::{RatePolicy, Setting};
    ///
    /// let p = RatePolicy { max_pay: Some("80.50".parse()?), ..Default::default() };
    /// assert_eq!(Setting::MaxPay.value_text(&p).as_deref(), Some("\"80.5\""));
    /// assert_eq!(Setting::TierMode.value_text(&p).as_deref(), Some("\"slab\""));
    /// assert_eq!(Setting::CountComped.value_text(&p).as_deref(), Some("false"));
    /// assert_eq!(Setting::EmptySessionPay.value_text(&p), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn value_text(self, policy: &RatePolicy) -> Option<String> {
        let quoted = |s: &str| format!("\"{s}\"");
        match self {
            Setting::CountComped => Some(policy.count_comped.to_string()),
            Setting::CountLateCancels => Some(policy.count_late_cancels.to_string()),
            Setting::CountNoShows => Some(policy.count_no_shows.to_string()),
            Setting::TierMode => Some(quoted(policy.tier_mode.as_str())),
            Setting::EmptySessionPay => policy
                .empty_session_pay
                .map(|a| quoted(&a.normalize().to_string())),
            Setting::MaxPay => policy.max_pay.map(|a| quoted(&a.normalize().to_string())),
            Setting::Rounding => Some(quoted(policy.rounding.as_str())),
            Setting::HoursBasis => Some(quoted(policy.hours_basis.as_str())),
        }
    }

    /// `policy` with this setting back at its SPEC default.
    pub fn reset(self, policy: &RatePolicy) -> RatePolicy {
        let d = RatePolicy::default();
        let mut p = *policy;
        match self {
            Setting::CountComped => p.count_comped = d.count_comped,
            Setting::CountLateCancels => p.count_late_cancels = d.count_late_cancels,
            Setting::CountNoShows => p.count_no_shows = d.count_no_shows,
            Setting::TierMode => p.tier_mode = d.tier_mode,
            Setting::EmptySessionPay => p.empty_session_pay = d.empty_session_pay,
            Setting::MaxPay => p.max_pay = d.max_pay,
            Setting::Rounding => p.rounding = d.rounding,
            Setting::HoursBasis => p.hours_basis = d.hours_basis,
        }
        p
    }
}

/// What the sessions say about one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Finding {
    /// The sessions that tell the value from its alternative favour the value
    /// by at least [`InferOptions::min_support`].
    Determined,
    /// Adopted on less: the value explains more of the sessions that tell it
    /// from its alternative, but by fewer than [`InferOptions::min_support`]
    /// (a setting resting on a single session). Nothing contradicts it (no
    /// such session matches the alternative), or the policy that explains the
    /// most sessions needs it (without it no policy would explain most).
    Weak,
    /// No session's pay depends on the setting (e.g. no session had a no-show):
    /// undetermined, the default is kept.
    NoEvidence,
    /// Some sessions tell the two apart, but too few favour either (or as many
    /// favour both): undetermined, the default is kept.
    TooLittleEvidence,
}

impl Finding {
    /// Whether the setting is settled by the sessions (weakly or not), so
    /// the inferred policy file sets it.
    pub fn is_determined(self) -> bool {
        matches!(self, Finding::Determined | Finding::Weak)
    }

    /// Whether the setting rests on fewer sessions than `min_support`.
    pub fn is_weak(self) -> bool {
        self == Finding::Weak
    }
}

/// The evidence for one setting of an inferred policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingReport {
    /// The setting; its value is in [`RateInference::policy`].
    pub setting: Setting,
    /// Determined or not, and why.
    pub finding: Finding,
    /// The policy it was weighed against: the same with this one setting
    /// changed (the other value, no amount, or the amount the data suggests).
    /// `None` when nothing suggests an alternative (no session was paid less
    /// than its formula, so nothing suggests a cap).
    pub alternative: Option<RatePolicy>,
    /// Sessions whose pay differs between the policy and the alternative.
    pub telling: u64,
    /// Of those, how many the policy explains.
    pub explained_with_value: u64,
    /// Of those, how many the alternative explains.
    pub explained_with_alternative: u64,
}

/// A distinct observation the inferred policy does not explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outlier {
    /// Its index in the observations given.
    pub index: usize,
    /// The pay under the inferred policy (TeamUp reported something else).
    pub computed: Decimal,
}

/// The policy of one rate that best explains TeamUp's figures, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateInference {
    /// The inferred policy; undetermined settings are at their SPEC default.
    pub policy: RatePolicy,
    /// One report per setting that applies to the rate's kinds, in SPEC order
    /// (`tier_mode` only for tiered rates, `hours_basis` only for per-hour ones).
    pub settings: Vec<SettingReport>,
    /// Sessions seen (the sum of the multiplicities).
    pub seen: u64,
    /// Sessions the policy explains exactly.
    pub explained: u64,
    /// Sessions the best combination of the search explains, before its
    /// settings are judged one at a time against noise.
    pub best_explained: u64,
    /// The observations it does not explain, in the order given.
    pub outliers: Vec<Outlier>,
    /// Sessions with nobody counted under the policy.
    pub empty_sessions: u64,
    /// Explained sessions that the cap cut.
    pub capped_sessions: u64,
    /// The highest pay among the explained sessions.
    pub highest_pay: Option<Decimal>,
}

impl RateInference {
    /// The report of one setting, if it applies to the rate.
    pub fn report(&self, setting: Setting) -> Option<&SettingReport> {
        self.settings.iter().find(|r| r.setting == setting)
    }

    /// The finding of one setting, if it applies to the rate.
    pub fn finding(&self, setting: Setting) -> Option<Finding> {
        self.report(setting).map(|r| r.finding)
    }

    /// The determined settings, as policy-file overrides. Undetermined ones
    /// are left unset (the default applies), and so is a determined absence of
    /// empty-session pay or cap.
    pub fn overrides(&self) -> PolicyOverrides {
        let mut o = PolicyOverrides::default();
        let p = &self.policy;
        for report in self.settings.iter().filter(|r| r.finding.is_determined()) {
            match report.setting {
                Setting::CountComped => o.count_comped = Some(p.count_comped),
                Setting::CountLateCancels => o.count_late_cancels = Some(p.count_late_cancels),
                Setting::CountNoShows => o.count_no_shows = Some(p.count_no_shows),
                Setting::TierMode => o.tier_mode = Some(p.tier_mode),
                Setting::EmptySessionPay => o.empty_session_pay = p.empty_session_pay,
                Setting::MaxPay => o.max_pay = p.max_pay,
                Setting::Rounding => o.rounding = Some(p.rounding),
                Setting::HoursBasis => o.hours_basis = Some(p.hours_basis),
            }
        }
        o
    }
}

/// Finds the policy that explains the most of one rate's sessions exactly.
///
/// `observations` are the rate's sessions with a final (not pending) figure,
/// aggregated into distinct observations with multiplicities.
///
/// 1. **Search.** Every combination of the three counting flags, the tier mode
///    (tiered rates), the rounding and the hours basis (per-hour rates) is
///    priced once per observation. For each, the empty-session pay candidates
///    are "none" and the most common figures of the sessions with nobody
///    counted; for each of those, the best cap is found by a sweep: a cap `c`
///    explains the sessions whose formula is at most `c` and matches, plus
///    those whose formula exceeds `c` and were paid `c`. Candidates for `c` are
///    the figures of sessions paid less than their formula. Ties go to the
///    policy with fewer settings away from the SPEC defaults, then to the one
///    without a cap (a cap equal to the top figure can mimic a rounding or a
///    tier mode), then without an empty-session pay.
/// 2. **Robustness.** Each setting of that policy is then weighed against
///    its alternative, all else equal, on the sessions whose pay the two
///    tell apart. The sessions settle it when it explains at least
///    [`InferOptions::min_support`] more of them, or at least one more with
///    none of them matching the alternative (nothing contradicts it). An
///    unsettled setting goes back to its default, and a default gives way to
///    an alternative the sessions settle; single changes repeat until none
///    applies. So a handful of wrong figures (manual edits, stale figures)
///    cannot pull a setting away where other sessions speak against it: they
///    stay unexplained and are reported as outliers. If this would leave
///    most sessions unexplained while the best combination explains most,
///    the best combination is kept whole.
/// 3. **Findings.** Each setting is compared with its alternative (the other
///    value; no empty-session pay or cap against the best one the data
///    suggests): [`Finding::Determined`] when the sessions that tell the two
///    apart favour it by `min_support` or more, [`Finding::Weak`] when they
///    settle it on less (or the best combination was kept whole and needs
///    it), [`Finding::NoEvidence`] when no session's pay differs,
///    [`Finding::TooLittleEvidence`] otherwise. An undetermined setting is
///    kept at its default.
///
/// The search is exact: every figure is priced with [`pay_for`], and the
/// sessions the final policy leaves unexplained are exactly those that
/// reconciliation under it would report as mismatches (tolerance 0).
///
/// ```
/// use rust_decimal::Decimal;
/// use sessionpay_core::*;
///
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// let gbp = Currency::try_from_code("GBP")?;
/// let kind = RateKind::PerCustomer { base: d("5") };
/// // TeamUp counts comped attendees for this rate: 4 attended, 1 comped, paid 20.
/// let obs = |attended, comped, paid: &str, sessions| Observation {
///     kind: &kind, counts: Counts::try_new(attended, comped, 0, 0).unwrap(), hours: d("1"),
///     currency: gbp, reported: d(paid), sessions,
/// };
/// let found = infer_rate_policy(
///     &[obs(4, 1, "20", 30), obs(6, 2, "30", 12), obs(3, 0, "15", 40), obs(5, 0, "99", 1)],
///     &InferOptions::default(),
/// )?;
/// assert!(found.policy.count_comped);
/// assert_eq!(found.finding(Setting::CountComped), Some(Finding::Determined));
/// // No session had a no-show: that setting is undetermined and stays at its default.
/// assert_eq!(found.finding(Setting::CountNoShows), Some(Finding::NoEvidence));
/// assert!(!found.policy.count_no_shows);
/// // The one wrong figure is an outlier.
/// assert_eq!((found.seen, found.explained), (83, 82));
/// assert_eq!(found.outliers[0].index, 3);
/// assert_eq!(found.outliers[0].computed, d("25.00"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`crate::Error::Overflow`] when pricing a session overflows.
pub fn infer_rate_policy(observations: &[Observation<'_>], options: &InferOptions) -> Result<RateInference> {
    let search = Search {
        obs: observations,
        min_support: options.min_support.max(1),
        value_pays: RefCell::new(None),
        formula_memo: RefCell::new(HashMap::new()),
        compared: RefCell::new(HashMap::new()),
    };
    let applicable: Vec<Setting> = Setting::ALL
        .into_iter()
        .filter(|s| match s {
            Setting::TierMode => search.any_kind(|k| matches!(k, RateKind::Tiered { .. })),
            Setting::HoursBasis => search.any_kind(|k| matches!(k, RateKind::PerHour { .. })),
            _ => true,
        })
        .collect();
    let (best, best_explained) = search.global()?;
    let mut policy = search.refine(best, &applicable)?;
    // Judging settings one at a time against noise must not turn a policy
    // that explains most sessions into one that does not.
    let seen: u64 = observations.iter().map(|o| o.sessions).sum();
    let keep_best =
        best_explained.saturating_mul(2) > seen && search.explained_by(&policy)?.saturating_mul(2) <= seen;
    if keep_best {
        policy = best;
    }
    let mut settings = Vec::with_capacity(applicable.len());
    for &setting in &applicable {
        settings.push(search.weigh(&policy, setting, keep_best)?);
    }
    // Refinement leaves every undetermined setting at its default; make sure.
    for report in &settings {
        if !report.finding.is_determined() {
            policy = report.setting.reset(&policy);
        }
    }
    let mut inference = RateInference {
        policy,
        settings,
        seen: 0,
        explained: 0,
        best_explained,
        outliers: Vec::new(),
        empty_sessions: 0,
        capped_sessions: 0,
        highest_pay: None,
    };
    for (index, o) in observations.iter().enumerate() {
        let b = pay_for(Some(o.kind), &o.counts, o.hours, o.currency, &policy)?;
        inference.seen += o.sessions;
        if b.counted.total == 0 {
            inference.empty_sessions += o.sessions;
        }
        if b.pay == o.reported {
            inference.explained += o.sessions;
            if b.cap_applied {
                inference.capped_sessions += o.sessions;
            }
            if o.sessions > 0 {
                inference.highest_pay = Some(inference.highest_pay.map_or(b.pay, |h| h.max(b.pay)));
            }
        } else if o.sessions > 0 {
            inference.outliers.push(Outlier {
                index,
                computed: b.pay,
            });
        }
    }
    Ok(inference)
}

/// Sessions whose pay differs between two policies, and how many each explains.
#[derive(Debug, Clone, Copy, Default)]
struct Comparison {
    telling: u64,
    with_value: u64,
    with_alternative: u64,
}

impl Comparison {
    fn support(&self) -> i128 {
        i128::from(self.with_value) - i128::from(self.with_alternative)
    }

    /// Whether the sessions settle the value against the alternative: it
    /// explains `needed` more, or at least one more with none against it.
    fn settles_value(&self, needed: i128) -> bool {
        let support = self.support();
        support >= needed || (support >= 1 && self.with_alternative == 0)
    }

    /// The same for the alternative against the value.
    fn settles_alternative(&self, needed: i128) -> bool {
        let support = -self.support();
        support >= needed || (support >= 1 && self.with_value == 0)
    }
}

/// The counted customers and exact, unrounded formula amount of each
/// observation under one combination of flags, tier mode and hours basis.
struct Formulas {
    counted: Vec<u64>,
    amount: Vec<Exact>,
}

struct Search<'o, 'k> {
    obs: &'o [Observation<'k>],
    min_support: u64,
    /// The pays of the policy last weighed.
    value_pays: RefCell<Option<(RatePolicy, Vec<Decimal>)>>,
    /// Formula amounts of customer-counting rates by (rate, count, tier mode).
    formula_memo: RefCell<HashMap<(usize, u64, TierMode), Exact>>,
    /// Comparisons made, by (value, alternative).
    compared: RefCell<HashMap<(RatePolicy, RatePolicy), Comparison>>,
}

impl Search<'_, '_> {
    fn any_kind(&self, test: impl Fn(&RateKind) -> bool) -> bool {
        self.obs.iter().any(|o| test(o.kind))
    }

    fn formulas(&self, policy: &RatePolicy) -> Result<Formulas> {
        let base = RatePolicy {
            empty_session_pay: None,
            max_pay: None,
            ..*policy
        };
        let mut f = Formulas {
            counted: Vec::with_capacity(self.obs.len()),
            amount: Vec::with_capacity(self.obs.len()),
        };
        // A customer-counting rate's formula depends only on the count and
        // the tier mode: price each (rate, count, mode) once.
        let mut memo = self.formula_memo.borrow_mut();
        for o in self.obs {
            let n = counted_customers(&o.counts, &base).total;
            let amount = if o.kind.counts_customers() {
                let key = (std::ptr::from_ref(o.kind) as usize, n, base.tier_mode);
                match memo.get(&key) {
                    Some(amount) => *amount,
                    None => {
                        let amount = formula_of(Some(o.kind), n, o.hours, &base)?.1;
                        memo.insert(key, amount);
                        amount
                    }
                }
            } else {
                formula_of(Some(o.kind), n, o.hours, &base)?.1
            };
            f.counted.push(n);
            f.amount.push(amount);
        }
        Ok(f)
    }

    /// Figures of the sessions with nobody counted, most common first.
    fn empty_figures(&self, formulas: &Formulas) -> Vec<Decimal> {
        let mut weights: BTreeMap<Decimal, u64> = BTreeMap::new();
        for (i, o) in self.obs.iter().enumerate() {
            if formulas.counted[i] == 0 && !o.reported.is_sign_negative() && o.sessions > 0 {
                *weights.entry(o.reported).or_default() += o.sessions;
            }
        }
        let mut figures: Vec<(Decimal, u64)> = weights.into_iter().collect();
        figures.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        figures.into_iter().map(|(figure, _)| figure).collect()
    }

    /// The empty-session pays worth a sweep: the two most common figures of
    /// the sessions with nobody counted, each only when more of those
    /// sessions were paid it than match their formula (a cap aside).
    fn promising_empty_pays(&self, formulas: &Formulas) -> Vec<Decimal> {
        let mut weights: BTreeMap<Decimal, u64> = BTreeMap::new();
        let mut by_formula = 0u64;
        for (i, o) in self.obs.iter().enumerate() {
            if formulas.counted[i] != 0 || o.sessions == 0 {
                continue;
            }
            let formula = formulas.amount[i];
            if formula.round(o.currency, RoundingMode::HalfUp) == Some(o.reported)
                || formula.round(o.currency, RoundingMode::HalfEven) == Some(o.reported)
            {
                by_formula += o.sessions;
            }
            if !o.reported.is_sign_negative() {
                *weights.entry(o.reported).or_default() += o.sessions;
            }
        }
        let mut figures: Vec<(Decimal, u64)> = weights.into_iter().filter(|(_, w)| *w > by_formula).collect();
        figures.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        figures.into_iter().take(2).map(|(figure, _)| figure).collect()
    }

    /// Each observation's figure before the cap: the formula, or the
    /// empty-session pay when nobody is counted.
    fn figures(&self, formulas: &Formulas, empty: Option<Decimal>) -> Vec<Exact> {
        (0..self.obs.len())
            .map(|i| match empty {
                Some(e) if formulas.counted[i] == 0 => Exact::whole(e),
                _ => formulas.amount[i],
            })
            .collect()
    }

    /// The cap candidates: figures of sessions paid less than their figure
    /// before the cap, in order, each with the sessions it would explain
    /// among those it cuts.
    fn cap_candidates(&self, figures: &[Exact]) -> (Vec<Decimal>, Vec<u64>) {
        let mut hits: BTreeMap<Decimal, u64> = BTreeMap::new();
        for (o, figure) in self.obs.iter().zip(figures) {
            if figure.exceeds(o.reported) && !o.reported.is_sign_negative() && o.sessions > 0 {
                *hits.entry(o.reported).or_default() += o.sessions;
            }
        }
        hits.into_iter().unzip()
    }

    /// Sessions explained without a cap, and the cap that explains the most
    /// with the sessions it explains.
    ///
    /// A cap `c` explains a session whose figure is at most `c` when its
    /// rounded figure matches (`explained`), and one whose figure exceeds `c`
    /// when it was paid `c` (`cut`, per candidate). Each session's explained
    /// weight goes to the first candidate at or above its figure; running
    /// sums then give every candidate's count without sorting the sessions.
    fn sweep(
        &self,
        figures: &[Exact],
        explained: &[u64],
        caps: &[Decimal],
        cut: &[u64],
    ) -> (u64, Option<(Decimal, u64)>) {
        let uncapped: u64 = explained.iter().sum();
        if caps.is_empty() {
            return (uncapped, None);
        }
        let mut first_at_or_above = vec![0u64; caps.len() + 1];
        for (figure, e) in figures.iter().zip(explained) {
            if *e > 0 {
                first_at_or_above[caps.partition_point(|c| figure.exceeds(*c))] += e;
            }
        }
        let mut best: Option<(Decimal, u64)> = None;
        let mut below = 0u64;
        for (k, cap) in caps.iter().enumerate() {
            below += first_at_or_above[k];
            let score = below + cut[k];
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((*cap, score));
            }
        }
        (uncapped, best)
    }

    /// The sessions each observation contributes when its figure, rounded, matches.
    fn explained(&self, figures: &[Exact], rounding: RoundingMode) -> Vec<u64> {
        self.obs
            .iter()
            .zip(figures)
            .map(|(o, f)| {
                // A figure already at the minor unit needs no rounding.
                let rounded = if f.is_at_most_places(o.currency.minor_units()) {
                    Some(f.numerator)
                } else {
                    f.round(o.currency, rounding)
                };
                if rounded == Some(o.reported) {
                    o.sessions
                } else {
                    0
                }
            })
            .collect()
    }

    /// The best cap for `policy`'s formulas, empty-session pay and rounding.
    fn best_cap(&self, policy: &RatePolicy) -> Result<Option<Decimal>> {
        let formulas = self.formulas(policy)?;
        let figures = self.figures(&formulas, policy.empty_session_pay);
        let (caps, cut) = self.cap_candidates(&figures);
        let explained = self.explained(&figures, policy.rounding);
        Ok(self.sweep(&figures, &explained, &caps, &cut).1.map(|(c, _)| c))
    }

    /// The best policy over every combination, by the sessions it explains,
    /// then by the fewest settings away from the defaults; and the sessions
    /// it explains.
    fn global(&self) -> Result<(RatePolicy, u64)> {
        let modes: &[TierMode] = if self.any_kind(|k| matches!(k, RateKind::Tiered { .. })) {
            &[TierMode::Slab, TierMode::Graduated]
        } else {
            &[TierMode::Slab]
        };
        let bases: &[HoursBasis] = if self.any_kind(|k| matches!(k, RateKind::PerHour { .. })) {
            &[HoursBasis::Reported, HoursBasis::Minutes]
        } else {
            &[HoursBasis::Reported]
        };
        // A flag whose count is zero on every session changes nothing: try it
        // only at its default.
        let present = [
            self.obs.iter().any(|o| o.counts.comped() > 0),
            self.obs.iter().any(|o| o.counts.late_cancels() > 0),
            self.obs.iter().any(|o| o.counts.no_shows() > 0),
        ];
        let mut best: Option<(u64, (usize, bool, bool), RatePolicy)> = None;
        for flags in 0u8..8 {
            if (0..3).any(|bit| flags & (1 << bit) != 0 && !present[bit]) {
                continue;
            }
            for &tier_mode in modes {
                for &hours_basis in bases {
                    let base = RatePolicy {
                        count_comped: flags & 1 != 0,
                        count_late_cancels: flags & 2 != 0,
                        count_no_shows: flags & 4 != 0,
                        tier_mode,
                        hours_basis,
                        ..RatePolicy::default()
                    };
                    let formulas = self.formulas(&base)?;
                    let mut empties = vec![None];
                    empties.extend(self.promising_empty_pays(&formulas).into_iter().map(Some));
                    for &empty_session_pay in &empties {
                        let figures = self.figures(&formulas, empty_session_pay);
                        let (caps, cut) = self.cap_candidates(&figures);
                        let mut previous: Option<Vec<u64>> = None;
                        for rounding in RoundingMode::ALL {
                            let explained = self.explained(&figures, rounding);
                            // A rounding that changes no figure ties with the
                            // default and loses the tie: skip its sweep.
                            if previous.as_ref() == Some(&explained) {
                                continue;
                            }
                            let (uncapped, cap) = self.sweep(&figures, &explained, &caps, &cut);
                            previous = Some(explained);
                            let (score, max_pay) = match cap {
                                Some((c, s)) if s > uncapped => (s, Some(c)),
                                _ => (uncapped, None),
                            };
                            let candidate = RatePolicy {
                                rounding,
                                empty_session_pay,
                                max_pay,
                                ..base
                            };
                            // Fewer settings away from the defaults first; then,
                            // as a cap can mimic a rounding or tier mode on the
                            // few figures at the top, no cap, then no
                            // empty-session pay.
                            let away = (
                                Setting::ALL.iter().filter(|s| !s.is_default(&candidate)).count(),
                                candidate.max_pay.is_some(),
                                candidate.empty_session_pay.is_some(),
                            );
                            if best.is_none_or(|(s, a, _)| score > s || (score == s && away < a)) {
                                best = Some((score, away, candidate));
                            }
                        }
                    }
                }
            }
        }
        Ok(best.map_or_else(|| (RatePolicy::default(), 0), |(score, _, p)| (p, score)))
    }

    /// The sessions `policy` explains.
    fn explained_by(&self, policy: &RatePolicy) -> Result<u64> {
        let pays = self.pays(policy)?;
        Ok(self
            .obs
            .iter()
            .zip(pays)
            .filter(|(o, pay)| *pay == o.reported)
            .map(|(o, _)| o.sessions)
            .sum())
    }

    /// Single-setting changes until none helps: a setting away from its
    /// default goes back unless the sessions settle it (it explains
    /// `min_support` more sessions, or at least one more with none against
    /// it), and a default gives way to an alternative the sessions settle.
    fn refine(&self, mut policy: RatePolicy, applicable: &[Setting]) -> Result<RatePolicy> {
        let needed = i128::from(self.min_support);
        // A change settled on support alone raises `explained - (min_support
        // - 1/2) * settings away from the defaults`; one settled on a single
        // uncontradicted session need not, so the bound guards against a cycle.
        for _ in 0..64 {
            let mut changed = false;
            for &setting in applicable {
                let Some(alternative) = self.alternative(&policy, setting)? else {
                    continue;
                };
                let c = self.compare(&policy, &alternative)?;
                let leave = if setting.is_default(&policy) {
                    c.settles_alternative(needed)
                } else {
                    !c.settles_value(needed)
                };
                if leave {
                    policy = alternative;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Ok(policy)
    }

    /// What `setting` of `policy` is weighed against.
    fn alternative(&self, policy: &RatePolicy, setting: Setting) -> Result<Option<RatePolicy>> {
        let p = *policy;
        if !setting.is_default(&p) {
            return Ok(Some(setting.reset(&p)));
        }
        Ok(Some(match setting {
            Setting::CountComped => RatePolicy {
                count_comped: !p.count_comped,
                ..p
            },
            Setting::CountLateCancels => RatePolicy {
                count_late_cancels: !p.count_late_cancels,
                ..p
            },
            Setting::CountNoShows => RatePolicy {
                count_no_shows: !p.count_no_shows,
                ..p
            },
            Setting::TierMode => RatePolicy {
                tier_mode: p.tier_mode.other(),
                ..p
            },
            Setting::Rounding => RatePolicy {
                rounding: match p.rounding {
                    RoundingMode::HalfUp => RoundingMode::HalfEven,
                    RoundingMode::HalfEven => RoundingMode::HalfUp,
                },
                ..p
            },
            Setting::HoursBasis => RatePolicy {
                hours_basis: p.hours_basis.other(),
                ..p
            },
            Setting::EmptySessionPay => {
                // The most common figure of the empty sessions that would
                // change some pay; else a figure nobody was paid, so the
                // empty sessions weigh "the formula" against "something else".
                let formulas = self.formulas(&p)?;
                for figure in self.empty_figures(&formulas) {
                    let candidate = RatePolicy {
                        empty_session_pay: Some(figure),
                        ..p
                    };
                    if self.compare(&p, &candidate)?.telling > 0 {
                        return Ok(Some(candidate));
                    }
                }
                let unpaid = self
                    .obs
                    .iter()
                    .map(|o| o.reported.abs())
                    .max()
                    .unwrap_or_default()
                    .checked_add(Decimal::ONE)
                    .unwrap_or(Decimal::ONE);
                RatePolicy {
                    empty_session_pay: Some(unpaid),
                    ..p
                }
            }
            Setting::MaxPay => match self.best_cap(&p)? {
                Some(cap) => RatePolicy {
                    max_pay: Some(cap),
                    ..p
                },
                None => return Ok(None),
            },
        }))
    }

    /// Every observation's pay under `policy`.
    fn pays(&self, policy: &RatePolicy) -> Result<Vec<Decimal>> {
        self.obs
            .iter()
            .map(|o| Ok(pay_for(Some(o.kind), &o.counts, o.hours, o.currency, policy)?.pay))
            .collect()
    }

    fn compare(&self, value: &RatePolicy, alternative: &RatePolicy) -> Result<Comparison> {
        // Refinement ends by repeating its last round of comparisons, and
        // weighing repeats them again.
        if let Some(c) = self.compared.borrow().get(&(*value, *alternative)) {
            return Ok(*c);
        }
        let c = self.compare_afresh(value, alternative)?;
        self.compared.borrow_mut().insert((*value, *alternative), c);
        Ok(c)
    }

    fn compare_afresh(&self, value: &RatePolicy, alternative: &RatePolicy) -> Result<Comparison> {
        // The policy being weighed changes rarely: keep its pays.
        let mut cache = self.value_pays.borrow_mut();
        if cache.as_ref().is_none_or(|(p, _)| p != value) {
            *cache = Some((*value, self.pays(value)?));
        }
        let Some((_, pays)) = cache.as_ref() else {
            return Ok(Comparison::default());
        };
        let mut c = Comparison::default();
        for (o, a) in self.obs.iter().zip(pays) {
            let b = pay_for(Some(o.kind), &o.counts, o.hours, o.currency, alternative)?.pay;
            if *a != b {
                c.telling += o.sessions;
                if *a == o.reported {
                    c.with_value += o.sessions;
                }
                if b == o.reported {
                    c.with_alternative += o.sessions;
                }
            }
        }
        Ok(c)
    }

    /// The evidence for `setting` of `policy`. With `keep_best`, `policy` is
    /// the best combination kept whole, and a setting it has on any support
    /// is weak rather than undetermined.
    fn weigh(&self, policy: &RatePolicy, setting: Setting, keep_best: bool) -> Result<SettingReport> {
        let Some(alternative) = self.alternative(policy, setting)? else {
            // Nothing suggests a cap: no session was paid less than its formula.
            return Ok(SettingReport {
                setting,
                finding: Finding::Determined,
                alternative: None,
                telling: 0,
                explained_with_value: 0,
                explained_with_alternative: 0,
            });
        };
        let c = self.compare(policy, &alternative)?;
        let needed = i128::from(self.min_support);
        let finding = if c.telling == 0 {
            Finding::NoEvidence
        } else if c.support() >= needed {
            Finding::Determined
        } else if c.settles_value(needed) || (keep_best && c.support() >= 1) {
            Finding::Weak
        } else {
            Finding::TooLittleEvidence
        };
        Ok(SettingReport {
            setting,
            finding,
            alternative: Some(alternative),
            telling: c.telling,
            explained_with_value: c.with_value,
            explained_with_alternative: c.with_alternative,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::{Tier, Tiers};

    use crate::testing::{d, gbp};

    /// Observations of `kind` with figures priced under `truth`.
    fn priced<'k>(
        kind: &'k RateKind,
        truth: &RatePolicy,
        cases: &[(u32, u32, u32, u32, &str, u64)],
    ) -> Vec<Observation<'k>> {
        cases
            .iter()
            .map(|&(a, c, l, n, hours, sessions)| {
                let counts = Counts::try_new(a, c, l, n).unwrap();
                let reported = pay_for(Some(kind), &counts, d(hours), gbp(), truth).unwrap().pay;
                Observation {
                    kind,
                    counts,
                    hours: d(hours),
                    currency: gbp(),
                    reported,
                    sessions,
                }
            })
            .collect()
    }

    fn infer(obs: &[Observation<'_>]) -> RateInference {
        infer_rate_policy(obs, &InferOptions::default()).unwrap()
    }

    fn t(lower: u32, upper: Option<u32>, amount: &str) -> Tier {
        Tier {
            lower,
            upper,
            amount: d(amount),
            currency: None,
        }
    }

    fn tiers() -> Tiers {
        Tiers::try_new(vec![
            t(1, Some(5), "2.10"),
            t(6, Some(10), "2.55"),
            t(11, None, "3.05"),
        ])
        .unwrap()
    }

    const VARIED: &[(u32, u32, u32, u32, &str, u64)] = &[
        (0, 0, 0, 0, "1", 4),
        (0, 0, 1, 1, "1", 3),
        (2, 2, 0, 0, "1", 2),
        (3, 1, 0, 0, "1", 5),
        (4, 0, 1, 0, "1", 6),
        (6, 1, 2, 1, "1", 3),
        (8, 0, 0, 2, "1", 4),
        (9, 2, 1, 0, "1", 3),
        (12, 1, 0, 1, "1", 2),
        (15, 0, 2, 2, "1", 3),
        (20, 3, 1, 1, "1", 2),
    ];

    #[test]
    fn a_tiered_policy_with_every_setting_is_recovered() {
        let kind = RateKind::Tiered { tiers: tiers() };
        let truth = RatePolicy {
            count_comped: true,
            count_no_shows: true,
            tier_mode: TierMode::Graduated,
            empty_session_pay: Some(d("7.50")),
            max_pay: Some(d("40")),
            ..Default::default()
        };
        let found = infer(&priced(&kind, &truth, VARIED));
        assert_eq!(found.policy, truth);
        assert_eq!(found.explained, found.seen);
        assert!(found.outliers.is_empty());
        for s in [
            Setting::CountComped,
            Setting::CountLateCancels,
            Setting::CountNoShows,
            Setting::TierMode,
            Setting::EmptySessionPay,
            Setting::MaxPay,
        ] {
            assert_eq!(found.finding(s), Some(Finding::Determined), "{s:?}");
        }
        // Whole-cent tier amounts never fall on a midpoint.
        assert_eq!(found.finding(Setting::Rounding), Some(Finding::NoEvidence));
        assert_eq!(found.finding(Setting::HoursBasis), None);
        assert_eq!(found.overrides().max_pay, Some(d("40")));
        assert_eq!(found.overrides().rounding, None);
    }

    #[test]
    fn a_few_wrong_figures_do_not_move_the_answer() {
        let kind = RateKind::PerCustomer { base: d("4.25") };
        let truth = RatePolicy {
            count_late_cancels: true,
            ..Default::default()
        };
        let mut obs = priced(&kind, &truth, VARIED);
        // A manual edit that happens to look like a cap at the very top, and
        // a stale figure on an empty session.
        let top = obs.len() - 1;
        obs.push(Observation {
            reported: obs[top].reported - d("3"),
            sessions: 1,
            ..obs[top]
        });
        obs.push(Observation {
            reported: d("12.00"),
            sessions: 1,
            ..obs[0]
        });
        let found = infer(&obs);
        assert_eq!(found.policy, truth);
        assert_eq!(found.outliers.len(), 2);
        assert_eq!(found.explained + 2, found.seen);
        assert_eq!(found.finding(Setting::MaxPay), Some(Finding::TooLittleEvidence));
        // The empty sessions paid 0 outvote the one paid 12.00.
        let empty = found.report(Setting::EmptySessionPay).unwrap();
        assert_eq!(empty.finding, Finding::Determined);
        assert_eq!(empty.alternative.unwrap().empty_session_pay, Some(d("12.00")));
        assert_eq!(
            (empty.explained_with_value, empty.explained_with_alternative),
            (6, 1)
        );
        assert_eq!(found.overrides().max_pay, None);
    }

    #[test]
    fn settings_no_session_can_tell_apart_are_undetermined() {
        let kind = RateKind::PerCustomer { base: d("5") };
        let truth = RatePolicy {
            count_no_shows: true,
            ..Default::default()
        };
        // No comped attendee, no late cancel, nobody empty.
        let found = infer(&priced(
            &kind,
            &truth,
            &[(3, 0, 0, 1, "1", 5), (5, 0, 0, 0, "1", 5), (2, 0, 0, 2, "1", 3)],
        ));
        assert!(found.policy.count_no_shows);
        assert_eq!(found.finding(Setting::CountNoShows), Some(Finding::Determined));
        assert_eq!(found.finding(Setting::CountComped), Some(Finding::NoEvidence));
        assert_eq!(
            found.finding(Setting::CountLateCancels),
            Some(Finding::NoEvidence)
        );
        assert_eq!(found.finding(Setting::EmptySessionPay), Some(Finding::NoEvidence));
        // Nothing was paid below its formula: no cap, and nothing suggests one.
        assert_eq!(found.finding(Setting::MaxPay), Some(Finding::Determined));
        assert_eq!(found.report(Setting::MaxPay).unwrap().alternative, None);
        assert_eq!(found.overrides().count_comped, None);
        assert_eq!(found.overrides().count_no_shows, Some(true));
    }

    #[test]
    fn empty_sessions_paid_zero_settle_the_empty_session_pay_of_per_customer_rates() {
        let kind = RateKind::PerCustomer { base: d("5") };
        let found = infer(&priced(
            &kind,
            &RatePolicy::default(),
            &[(0, 0, 0, 0, "1", 5), (2, 0, 0, 0, "1", 5)],
        ));
        assert_eq!(found.policy.empty_session_pay, None);
        assert_eq!(found.finding(Setting::EmptySessionPay), Some(Finding::Determined));
        assert_eq!(found.empty_sessions, 5);
    }

    #[test]
    fn per_hour_rounding_and_minutes_are_found() {
        let kind = RateKind::PerHour { base: d("4.69") };
        let truth = RatePolicy {
            rounding: RoundingMode::HalfEven,
            hours_basis: HoursBasis::Minutes,
            ..Default::default()
        };
        let found = infer(&priced(
            &kind,
            &truth,
            &[
                (3, 0, 0, 0, "0.5", 4),
                (3, 0, 0, 0, "0.83", 4),
                (3, 0, 0, 0, "1", 4),
                (3, 0, 0, 0, "1.5", 4),
                (3, 0, 0, 0, "0.25", 2),
            ],
        ));
        assert_eq!(found.policy, truth);
        assert_eq!(found.finding(Setting::Rounding), Some(Finding::Determined));
        assert_eq!(found.finding(Setting::HoursBasis), Some(Finding::Determined));
        // Counts never enter a per-hour rate without an empty-session pay.
        assert_eq!(found.finding(Setting::CountComped), Some(Finding::NoEvidence));
        assert_eq!(found.finding(Setting::TierMode), None);
    }

    #[test]
    fn one_session_that_nothing_contradicts_sets_a_weak_setting() {
        let kind = RateKind::PerHour { base: d("4.69") };
        let truth = RatePolicy {
            rounding: RoundingMode::HalfEven,
            ..Default::default()
        };
        // Only the half hour falls on a midpoint: 2.345 paid 2.34.
        let found = infer(&priced(
            &kind,
            &truth,
            &[(1, 0, 0, 0, "0.5", 1), (1, 0, 0, 0, "1", 9)],
        ));
        assert_eq!(found.policy.rounding, RoundingMode::HalfEven);
        assert_eq!(found.finding(Setting::Rounding), Some(Finding::Weak));
        assert!(found.finding(Setting::Rounding).unwrap().is_determined());
        let r = found.report(Setting::Rounding).unwrap();
        assert_eq!(
            (r.telling, r.explained_with_value, r.explained_with_alternative),
            (1, 1, 0)
        );
        assert_eq!(found.overrides().rounding, Some(RoundingMode::HalfEven));
        assert!(found.outliers.is_empty());
    }

    #[test]
    fn a_contradicted_setting_needs_min_support_to_leave_its_default() {
        let kind = RateKind::PerHour { base: d("4.69") };
        let even = RatePolicy {
            rounding: RoundingMode::HalfEven,
            ..Default::default()
        };
        // Two half hours paid half-even, one paid half-up, nine whole hours.
        let mut obs = priced(&kind, &even, &[(1, 0, 0, 0, "0.5", 2), (1, 0, 0, 0, "1", 9)]);
        obs.extend(priced(&kind, &RatePolicy::default(), &[(2, 0, 0, 0, "0.5", 1)]));
        let found = infer(&obs);
        assert_eq!(found.policy.rounding, RoundingMode::HalfUp);
        assert_eq!(found.finding(Setting::Rounding), Some(Finding::TooLittleEvidence));
        assert_eq!(found.overrides().rounding, None);
        assert_eq!((found.seen, found.explained, found.best_explained), (12, 10, 11));
        // With --min-support 1 the one more session settles it.
        let found = infer_rate_policy(&obs, &InferOptions { min_support: 1 }).unwrap();
        assert_eq!(found.policy.rounding, RoundingMode::HalfEven);
        assert_eq!(found.finding(Setting::Rounding), Some(Finding::Determined));
    }

    /// Tiers 1-5 at 10, 6 and up at 12; TeamUp counts comped attendees and
    /// late cancels, pays graduated and caps at 80.
    fn joint_case() -> (RateKind, RatePolicy) {
        let kind = RateKind::Tiered {
            tiers: Tiers::try_new(vec![t(1, Some(5), "10"), t(6, None, "12")]).unwrap(),
        };
        let truth = RatePolicy {
            count_comped: true,
            count_late_cancels: true,
            tier_mode: TierMode::Graduated,
            max_pay: Some(d("80")),
            ..Default::default()
        };
        (kind, truth)
    }

    /// r13: settings that explain the figures only together, on a rate with
    /// too few sessions for any of them to explain two more on its own.
    #[test]
    fn r13_settings_needed_together_on_few_sessions_are_all_adopted() {
        let (kind, truth) = joint_case();
        let five: &[(u32, u32, u32, u32, &str, u64)] = &[
            (4, 1, 1, 0, "1", 1), // 5 counted: 50
            (6, 2, 2, 0, "1", 1), // 8 counted: 86, capped at 80
            (3, 0, 0, 0, "1", 1),
            (7, 1, 0, 0, "1", 1), // 7 counted: 74 (slab 84)
            (2, 0, 1, 0, "1", 1),
        ];
        for cases in [five, &[five[0], five[1], five[3]][..]] {
            let found = infer(&priced(&kind, &truth, cases));
            assert_eq!(found.explained, found.seen, "{found:?}");
            assert_eq!(found.best_explained, found.seen);
            assert_eq!(found.policy, truth, "{cases:?}");
            for s in [
                Setting::CountComped,
                Setting::CountLateCancels,
                Setting::TierMode,
                Setting::MaxPay,
            ] {
                assert!(found.finding(s).unwrap().is_determined(), "{s:?}: {found:?}");
            }
            assert!(found.settings.iter().any(|r| r.finding.is_weak()), "{found:?}");
            assert_eq!(found.overrides().max_pay, Some(d("80")));
        }
    }

    #[test]
    fn the_best_policy_is_kept_when_judging_settings_alone_would_explain_less_than_half() {
        let kind = RateKind::PerCustomer { base: d("5") };
        let counted = RatePolicy {
            count_comped: true,
            ..Default::default()
        };
        // Two sessions counted their comped attendees, one did not: the one
        // against leaves count_comped short of --min-support, but without it
        // only 1 of 3 is explained.
        let mut obs = priced(&kind, &counted, &[(4, 1, 0, 0, "1", 1), (6, 2, 0, 0, "1", 1)]);
        obs.extend(priced(&kind, &RatePolicy::default(), &[(3, 1, 0, 0, "1", 1)]));
        let found = infer(&obs);
        assert!(found.policy.count_comped);
        assert_eq!(found.finding(Setting::CountComped), Some(Finding::Weak));
        assert_eq!((found.seen, found.explained), (3, 2));
        assert_eq!(found.outliers.len(), 1);
    }

    #[test]
    fn nothing_seen_infers_the_defaults() {
        let found = infer(&[]);
        assert_eq!(found.policy, RatePolicy::default());
        assert_eq!((found.seen, found.explained), (0, 0));
        assert!(found
            .settings
            .iter()
            .filter(|r| r.setting != Setting::MaxPay)
            .all(|r| r.finding == Finding::NoEvidence));
    }
}
