//! `sessionpay rates infer`: the policy of each rate that explains TeamUp's figures.
//!
//! Every input is read once through the same pipeline as `reconcile` (currencies,
//! duplicates), and each session with a final figure is folded into a map of
//! distinct observations per rate (rate kind, counts, hours, currency, figure)
//! with the ids of the sessions behind them. The search itself is
//! [`sessionpay_core::infer_rate_policy`], run once per rate over the distinct
//! observations, so its cost does not grow with repeated sessions.
//!
//! The output is a policy file (SPEC section 3) that `payroll` and
//! `reconcile --rates` read as it is: the determined settings of each rate,
//! comments with the evidence, the settings left at their default because the
//! sessions cannot tell, and the sessions no policy explains (outliers).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sessionpay_core::{
    infer_rate_policy, Counts, Currency, Finding, InferOptions, Observation, PayRate, RateId, RateInference,
    RateKind, RatePolicy, RateTable, Setting, SettingReport, VenueId,
};
use sessionpay_io::SessionLine;

use crate::commands::{self, threads, Notes, Outcome};
use crate::pipeline::{self, Collector};

/// Options of `sessionpay rates infer`.
#[derive(Debug, clap::Args)]
pub(crate) struct InferArgs {
    /// Output format: a policy file with the evidence in comments, or JSON with the evidence as data
    #[arg(long, value_enum, default_value_t = InferFormat::Toml)]
    pub(crate) format: InferFormat,

    /// Policy file whose [venues] currencies are used (for CSV exports whose money carries only $ or ¥)
    /// and copied into the output; its [defaults] and [rates] are not used
    #[arg(long, value_name = "FILE")]
    pub(crate) rates: Option<PathBuf>,

    /// A saved JSON response of the same report: its column_headers (label and key) name the CSV's header cells
    #[arg(long, value_name = "FILE")]
    pub(crate) columns_from: Option<PathBuf>,

    /// The fewest sessions by which a setting must out-explain its alternative to leave the default
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) min_support: u64,

    /// Write to FILE (atomically: it appears only when complete) instead of stdout
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Print neither notes nor the table of rates on stderr (errors are still printed)
    #[arg(short = 'q', long)]
    pub(crate) quiet: bool,

    /// Export files (.csv, .json, .ndjson, .jsonl), folders of them (read in name order), or - for stdin
    #[arg(value_name = "INPUT", required = true)]
    pub(crate) inputs: Vec<PathBuf>,
}

/// Output formats of `rates infer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InferFormat {
    Toml,
    Json,
}

/// Outliers listed per rate in the comments of the TOML output (JSON lists all).
const OUTLIERS_IN_COMMENTS: usize = 20;

/// Runs `sessionpay rates infer`.
pub(crate) fn run(args: &InferArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::new(args.quiet);
    let (table, columns) = match &args.rates {
        Some(path) => {
            let policy = sessionpay_io::read_policy(path)?;
            let table = policy.table;
            if !table.rates.is_empty() || table.defaults != Default::default() {
                notes.say(format!(
                    "{}: only its [venues] currencies are used; the rates are inferred afresh",
                    path.display()
                ));
            }
            (table, policy.columns)
        }
        None => (RateTable::default(), Default::default()),
    };
    let mut inputs = commands::expand(&args.inputs, &mut notes)?;
    commands::label_inputs(&mut inputs, columns, args.columns_from.as_deref())?;

    // The pipeline prices every session under the given table, which is not
    // needed here but keeps one reading path (currencies, duplicates, parallel
    // reading) for every command; an unbounded tolerance spares it looking
    // for the reason of each mismatch.
    let (mut book, stats) = pipeline::run(&inputs, &table, Decimal::MAX, threads(), &Book::default)?;
    notes.stats(&stats);

    let options = InferOptions {
        min_support: args.min_support,
    };
    let rates = book.infer(&options)?;
    let mut venues: BTreeMap<VenueId, (Currency, String)> = table
        .venue_currencies
        .iter()
        .map(|(v, c)| (*v, (*c, String::new())))
        .collect();
    for (venue, seen) in &book.venues {
        venues.insert(*venue, (seen.currency, seen.named.name.clone()));
    }
    let report = Report {
        rates,
        venues,
        unrated: book.unrated,
        min_support: args.min_support,
    };

    let write = |out: &mut dyn Write| match args.format {
        InferFormat::Toml => report.write_toml(out),
        InferFormat::Json => report.write_json(out),
    };
    commands::emit_to(args.output.as_deref(), |out| {
        write(out).map_err(anyhow::Error::from)
    })?;
    if !args.quiet {
        let mut err = io::stderr().lock();
        report.write_table(&mut err)?;
    }
    let unexplained: Vec<&Rate> = report.rates.iter().filter(|r| !r.explains_most()).collect();
    for rate in &unexplained {
        notes.say(format!(
            "rate {}: no policy explains most of its sessions ({} of {}); its figures follow some other rule",
            rate.id.0, rate.inference.explained, rate.inference.seen
        ));
    }
    Ok(if unexplained.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Mismatch
    })
}

/// Sessions that share everything pay depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ObsKey {
    kind: u32,
    counts: Counts,
    hours: Decimal,
    currency: Currency,
    reported: Decimal,
}

/// Distinct sessions of one rate, with the ids of the sessions behind them.
type Bucket = (ObsKey, Vec<u64>);

/// One distinct (rate id, rate kind).
struct KindEntry {
    id: RateId,
    kind: RateKind,
}

/// A name as on the session with the highest id, so the choice does not
/// depend on the order rows are read in.
#[derive(Default)]
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

#[derive(Default)]
struct RateTally {
    name: Named,
    pending: u64,
    unreported: u64,
}

struct VenueSeen {
    currency: Currency,
    named: Named,
}

/// Everything `rates infer` keeps of the sessions.
#[derive(Default)]
struct Book {
    /// Rates as the reader shares them (one `Arc` per distinct rate in an
    /// input), mapped to their distinct kind; the `Arc`s are kept so their
    /// addresses stay unique.
    by_arc: HashMap<usize, u32>,
    arcs: Vec<Arc<PayRate>>,
    kinds: Vec<KindEntry>,
    kind_index: HashMap<(RateId, RateKind), u32>,
    observations: HashMap<ObsKey, Vec<u64>>,
    tallies: BTreeMap<RateId, RateTally>,
    venues: BTreeMap<VenueId, VenueSeen>,
    unrated: u64,
}

impl Collector for Book {
    fn add(&mut self, line: SessionLine) -> anyhow::Result<()> {
        let s = &line.session;
        let venue = self.venues.entry(s.venue).or_insert_with(|| VenueSeen {
            currency: s.currency,
            named: Named::default(),
        });
        venue.named.offer(&s.venue_name, s.id.0);
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
        let kind = self.kind_of(rate);
        self.observations
            .entry(ObsKey {
                kind,
                counts: s.counts,
                hours: s.hours,
                currency: s.currency,
                reported,
            })
            .or_default()
            .push(s.id.0);
        Ok(())
    }

    fn merge(&mut self, other: Book) -> anyhow::Result<()> {
        let remap: Vec<u32> = other
            .kinds
            .into_iter()
            .map(|k| self.intern(k.id, k.kind))
            .collect();
        for (address, k) in other.by_arc {
            self.by_arc.insert(address, remap[k as usize]);
        }
        self.arcs.extend(other.arcs);
        for (mut key, ids) in other.observations {
            key.kind = remap[key.kind as usize];
            self.observations.entry(key).or_default().extend(ids);
        }
        for (id, tally) in other.tallies {
            let mine = self.tallies.entry(id).or_default();
            mine.name.merge(tally.name);
            mine.pending += tally.pending;
            mine.unreported += tally.unreported;
        }
        for (id, venue) in other.venues {
            match self.venues.entry(id) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(venue);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().named.merge(venue.named),
            }
        }
        self.unrated += other.unrated;
        Ok(())
    }
}

impl Book {
    fn intern(&mut self, id: RateId, kind: RateKind) -> u32 {
        let next = self.kinds.len() as u32;
        match self.kind_index.entry((id, kind)) {
            std::collections::hash_map::Entry::Occupied(o) => *o.get(),
            std::collections::hash_map::Entry::Vacant(v) => {
                self.kinds.push(KindEntry {
                    id,
                    kind: v.key().1.clone(),
                });
                v.insert(next);
                next
            }
        }
    }

    fn kind_of(&mut self, rate: &Arc<PayRate>) -> u32 {
        let address = Arc::as_ptr(rate) as usize;
        if let Some(&k) = self.by_arc.get(&address) {
            return k;
        }
        let k = self.intern(rate.id, rate.kind.clone());
        self.arcs.push(Arc::clone(rate));
        self.by_arc.insert(address, k);
        k
    }

    /// Infers every rate's policy, the rates shared out over the cores.
    fn infer(&mut self, options: &InferOptions) -> anyhow::Result<Vec<Rate>> {
        let mut per_rate: BTreeMap<RateId, Vec<Bucket>> = BTreeMap::new();
        for (key, mut ids) in std::mem::take(&mut self.observations) {
            ids.sort_unstable();
            per_rate
                .entry(self.kinds[key.kind as usize].id)
                .or_default()
                .push((key, ids));
        }
        for id in self.tallies.keys() {
            per_rate.entry(*id).or_default();
        }
        let mut work: Vec<(RateId, Vec<Bucket>)> = per_rate.into_iter().collect();
        for (_, obs) in &mut work {
            // A fixed order, so the output does not depend on the input's.
            obs.sort_by(|a, b| a.1[0].cmp(&b.1[0]));
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8)
            .min(work.len().max(1));
        let kinds = &self.kinds;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work_ref = &work;
        let results: Vec<Vec<(usize, anyhow::Result<Rate>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some((id, obs)) = work_ref.get(i) else {
                                break;
                            };
                            done.push((i, infer_one(*id, obs, kinds, options)));
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut rates: Vec<Option<Rate>> = (0..work.len()).map(|_| None).collect();
        for (i, result) in results.into_iter().flatten() {
            rates[i] = Some(result?);
        }
        let mut rates: Vec<Rate> = rates.into_iter().flatten().collect();
        for rate in &mut rates {
            if let Some(tally) = self.tallies.get(&rate.id) {
                rate.name = tally.name.name.clone();
                rate.pending = tally.pending;
                rate.unreported = tally.unreported;
            }
        }
        Ok(rates)
    }
}

fn infer_one(
    id: RateId,
    obs: &[Bucket],
    kinds: &[KindEntry],
    options: &InferOptions,
) -> anyhow::Result<Rate> {
    let observations: Vec<Observation<'_>> = obs
        .iter()
        .map(|(key, ids)| Observation {
            kind: &kinds[key.kind as usize].kind,
            counts: key.counts,
            hours: key.hours,
            currency: key.currency,
            reported: key.reported,
            sessions: ids.len() as u64,
        })
        .collect();
    let inference = infer_rate_policy(&observations, options).with_context(|| format!("rate {}", id.0))?;
    let mut outliers = Vec::new();
    for o in &inference.outliers {
        let (key, ids) = &obs[o.index];
        for session in ids {
            outliers.push(OutlierSession {
                session: *session,
                reported: key.reported,
                computed: o.computed,
                currency: key.currency,
            });
        }
    }
    outliers.sort_by_key(|o| o.session);
    let mut kind_names: Vec<&'static str> = obs
        .iter()
        .map(|(key, _)| kinds[key.kind as usize].kind.as_str())
        .collect();
    kind_names.sort_unstable();
    kind_names.dedup();
    let mut bases: Vec<String> = obs
        .iter()
        .filter_map(|(key, _)| match &kinds[key.kind as usize].kind {
            RateKind::PerCustomer { base } | RateKind::PerHour { base } => Some(base.to_string()),
            RateKind::Tiered { .. } => None,
        })
        .collect();
    bases.sort();
    bases.dedup();
    let has = |test: fn(&Counts) -> bool| obs.iter().any(|(key, _)| test(&key.counts));
    Ok(Rate {
        id,
        name: String::new(),
        kinds: kind_names,
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

struct OutlierSession {
    session: u64,
    reported: Decimal,
    computed: Decimal,
    currency: Currency,
}

/// One rate's inference with what the output says about it.
struct Rate {
    id: RateId,
    name: String,
    kinds: Vec<&'static str>,
    bases: Vec<String>,
    pending: u64,
    unreported: u64,
    had_comped: bool,
    had_late_cancels: bool,
    had_no_shows: bool,
    inference: RateInference,
    outliers: Vec<OutlierSession>,
}

impl Rate {
    /// More than half of the sessions with a final figure are explained (or there are none).
    fn explains_most(&self) -> bool {
        let i = &self.inference;
        i.seen == 0 || i.explained * 2 > i.seen
    }

    fn confidence(&self) -> Option<Decimal> {
        let i = &self.inference;
        (i.seen > 0).then(|| Decimal::from(i.explained) / Decimal::from(i.seen))
    }

    fn confidence_percent(&self) -> String {
        match self.confidence() {
            Some(c) => format!("{}%", (c * Decimal::ONE_HUNDRED).round_dp(2)),
            None => "-".to_string(),
        }
    }

    fn undetermined(&self) -> Vec<&'static str> {
        self.inference
            .settings
            .iter()
            .filter(|r| !r.finding.is_determined())
            .map(|r| r.setting.key())
            .collect()
    }

    /// Why the sessions cannot tell a setting without evidence.
    fn no_evidence_reason(&self, setting: Setting) -> &'static str {
        match setting {
            Setting::CountComped if !self.had_comped => "no session had a comped attendee",
            Setting::CountLateCancels if !self.had_late_cancels => "no session had a late cancellation",
            Setting::CountNoShows if !self.had_no_shows => "no session had a no-show",
            Setting::CountComped | Setting::CountLateCancels | Setting::CountNoShows
                if self.kinds == ["per_hour"] =>
            {
                "a per-hour rate ignores counts unless an empty-session pay applies, and none does"
            }
            Setting::TierMode => "slab and graduated pay the same on every session",
            Setting::EmptySessionPay if self.inference.empty_sessions == 0 => "no session had nobody counted",
            Setting::Rounding => "no session's pay falls on a rounding midpoint",
            Setting::HoursBasis => "every session's hours are whole minutes",
            _ => "no session's pay depends on it",
        }
    }
}

/// The text of a setting's value, `none` for an unset amount.
fn shown(setting: Setting, policy: &RatePolicy) -> String {
    setting.value_text(policy).unwrap_or_else(|| "none".to_string())
}

/// The evidence for one setting, in words.
fn evidence(rate: &Rate, r: &SettingReport, min_support: u64) -> String {
    let policy = &rate.inference.policy;
    let value = shown(r.setting, policy);
    let default = shown(r.setting, &RatePolicy::default());
    let alternative = r.alternative.as_ref().map(|a| shown(r.setting, a));
    let s = |n: u64| if n == 1 { "" } else { "s" };
    // "1 session tells ..., 1 matches"; "2 sessions tell ..., 2 match".
    let one = |n: u64, ending: &'static str| if n == 1 { ending } else { "" };
    let tally = |alternative: &str| {
        format!(
            "{} session{} tell{} {value} from {alternative}: {} match{} {value}, {} match{} {alternative}",
            r.telling,
            s(r.telling),
            one(r.telling, "s"),
            r.explained_with_value,
            one(r.explained_with_value, "es"),
            r.explained_with_alternative,
            one(r.explained_with_alternative, "es")
        )
    };
    match (r.finding, &alternative) {
        (Finding::Determined, None) => match r.setting {
            Setting::MaxPay => match rate.inference.highest_pay {
                Some(high) => {
                    format!("no session was paid less than its formula; the highest pay was {high}")
                }
                None => "no session was paid less than its formula".to_string(),
            },
            _ => "nothing suggests another value".to_string(),
        },
        (Finding::Determined, Some(alt)) => match r.setting {
            Setting::EmptySessionPay if policy.empty_session_pay.is_none() => format!(
                "{} of {} empty session{} (nobody counted) were paid by the formula",
                r.explained_with_value,
                r.telling,
                s(r.telling)
            ),
            _ => tally(alt),
        },
        (Finding::NoEvidence, _) => format!(
            "undetermined, default {default} kept: {}",
            rate.no_evidence_reason(r.setting)
        ),
        (Finding::TooLittleEvidence, alt) => {
            let alt = alt.clone().unwrap_or_else(|| "none".to_string());
            format!(
                "undetermined, default {default} kept: {}; a setting leaves its default only when it explains at least {min_support} more sessions",
                tally(&alt)
            )
        }
    }
}

/// A figure as given, but at least at the currency's minor unit (`5405.0`
/// INR shows as `5405.00`), so every input shape shows it alike.
fn figure(amount: Decimal, currency: Currency) -> String {
    let mut shown = amount;
    if shown.scale() < currency.minor_units() {
        shown.rescale(currency.minor_units());
    }
    shown.to_string()
}

/// Text fit for a TOML comment: one line, no control characters.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

struct Report {
    rates: Vec<Rate>,
    venues: BTreeMap<VenueId, (Currency, String)>,
    unrated: u64,
    min_support: u64,
}

impl Report {
    fn totals(&self) -> (u64, u64) {
        self.rates.iter().fold((0, 0), |(seen, explained), r| {
            (seen + r.inference.seen, explained + r.inference.explained)
        })
    }

    fn write_toml(&self, out: &mut dyn Write) -> io::Result<()> {
        let (seen, explained) = self.totals();
        writeln!(
            out,
            "# Rate policy inferred by `sessionpay rates infer` from TeamUp's own figures:"
        )?;
        writeln!(
            out,
            "# {} of {} sessions with a final figure explained exactly, over {} rate{}.",
            group(explained),
            group(seen),
            self.rates.len(),
            if self.rates.len() == 1 { "" } else { "s" }
        )?;
        writeln!(
            out,
            "# Each [rates.N] sets what its sessions determine; a setting they cannot tell apart is"
        )?;
        writeln!(
            out,
            "# left out (its default applies), with a comment saying why. Outliers are the sessions"
        )?;
        writeln!(
            out,
            "# the policy does not explain: `sessionpay reconcile --rates` reports them as mismatches."
        )?;
        if self.unrated > 0 {
            writeln!(
                out,
                "# {} session(s) without a pay rate were not used.",
                group(self.unrated)
            )?;
        }
        for (venue, (currency, name)) in &self.venues {
            writeln!(out)?;
            writeln!(out, "[venues.{}]", venue.0)?;
            if name.is_empty() {
                writeln!(out, "currency = \"{currency}\"")?;
            } else {
                writeln!(out, "currency = \"{currency}\"  # {}", comment_text(name))?;
            }
        }
        for rate in &self.rates {
            self.write_rate(out, rate)?;
        }
        Ok(())
    }

    fn write_rate(&self, out: &mut dyn Write, rate: &Rate) -> io::Result<()> {
        let i = &rate.inference;
        writeln!(out)?;
        let mut about = rate.kinds.join(", ");
        if !rate.bases.is_empty() {
            about.push_str(&format!(", base {}", rate.bases.join(", ")));
        }
        writeln!(
            out,
            "# Rate {} \"{}\" ({about})",
            rate.id.0,
            comment_text(&rate.name)
        )?;
        let mut unused = Vec::new();
        if rate.pending > 0 {
            unused.push(format!("{} pending", group(rate.pending)));
        }
        if rate.unreported > 0 {
            unused.push(format!("{} without a figure", group(rate.unreported)));
        }
        let unused = if unused.is_empty() {
            String::new()
        } else {
            format!(" ({} not used)", unused.join(", "))
        };
        if i.seen == 0 {
            writeln!(
                out,
                "# No session with a final figure{unused}: nothing to infer, the defaults apply."
            )?;
            return Ok(());
        }
        writeln!(
            out,
            "# {} of {} sessions with a final figure explained ({}){unused}.",
            group(i.explained),
            group(i.seen),
            rate.confidence_percent()
        )?;
        if !rate.explains_most() {
            writeln!(
                out,
                "# WARNING: no policy explains most of this rate's sessions; the settings below are the best found."
            )?;
        }
        if !rate.outliers.is_empty() {
            writeln!(
                out,
                "# Outliers ({}): session, reported, computed under this policy:",
                group(rate.outliers.len() as u64)
            )?;
            for o in rate.outliers.iter().take(OUTLIERS_IN_COMMENTS) {
                writeln!(
                    out,
                    "#   {} reported {} {}, computed {}",
                    o.session,
                    figure(o.reported, o.currency),
                    o.currency,
                    o.currency.format(o.computed)
                )?;
            }
            if rate.outliers.len() > OUTLIERS_IN_COMMENTS {
                writeln!(
                    out,
                    "#   ... and {} more (`--format json` lists them all)",
                    group((rate.outliers.len() - OUTLIERS_IN_COMMENTS) as u64)
                )?;
            }
        }
        writeln!(out, "[rates.{}]", rate.id.0)?;
        for r in &i.settings {
            let why = comment_text(&evidence(rate, r, self.min_support));
            match (r.finding.is_determined(), r.setting.value_text(&i.policy)) {
                (true, Some(value)) => writeln!(out, "{} = {value}  # {why}", r.setting.key())?,
                (true, None) => writeln!(out, "# {}: none - {why}", r.setting.key())?,
                (false, _) => writeln!(out, "# {}: {why}", r.setting.key())?,
            }
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let (seen, explained) = self.totals();
        let venues: serde_json::Map<String, Value> = self
            .venues
            .iter()
            .map(|(v, (c, _))| (v.0.to_string(), json!({ "currency": c.code() })))
            .collect();
        let rates: Vec<Value> = self.rates.iter().map(|r| self.rate_json(r)).collect();
        let doc = json!({
            "sessions_seen": seen,
            "sessions_explained": explained,
            "unrated_sessions": self.unrated,
            "min_support": self.min_support,
            "venues": venues,
            "rates": rates,
        });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)
    }

    fn rate_json(&self, rate: &Rate) -> Value {
        let i = &rate.inference;
        let value_json = |setting: Setting, p: &RatePolicy| -> Value {
            match setting {
                Setting::CountComped => json!(p.count_comped),
                Setting::CountLateCancels => json!(p.count_late_cancels),
                Setting::CountNoShows => json!(p.count_no_shows),
                Setting::TierMode => json!(p.tier_mode.as_str()),
                Setting::EmptySessionPay => json!(p.empty_session_pay.map(|a| a.normalize().to_string())),
                Setting::MaxPay => json!(p.max_pay.map(|a| a.normalize().to_string())),
                Setting::Rounding => json!(p.rounding.as_str()),
                Setting::HoursBasis => json!(p.hours_basis.as_str()),
            }
        };
        let mut policy = serde_json::Map::new();
        for r in i.settings.iter().filter(|r| r.finding.is_determined()) {
            let v = value_json(r.setting, &i.policy);
            if !v.is_null() {
                policy.insert(r.setting.key().to_string(), v);
            }
        }
        let settings: Vec<Value> = i
            .settings
            .iter()
            .map(|r| {
                json!({
                    "setting": r.setting.key(),
                    "value": value_json(r.setting, &i.policy),
                    "determined": r.finding.is_determined(),
                    "finding": match r.finding {
                        Finding::Determined => "determined",
                        Finding::NoEvidence => "no_evidence",
                        Finding::TooLittleEvidence => "too_little_evidence",
                    },
                    "alternative": r.alternative.as_ref().map(|a| value_json(r.setting, a)),
                    "telling_sessions": r.telling,
                    "explained_with_value": r.explained_with_value,
                    "explained_with_alternative": r.explained_with_alternative,
                    "evidence": evidence(rate, r, self.min_support),
                })
            })
            .collect();
        let outliers: Vec<Value> = rate
            .outliers
            .iter()
            .map(|o| {
                json!({
                    "session_id": o.session,
                    "reported": figure(o.reported, o.currency),
                    "computed": o.currency.format(o.computed),
                    "currency": o.currency.code(),
                })
            })
            .collect();
        json!({
            "rate_id": rate.id.0,
            "name": rate.name,
            "kinds": rate.kinds,
            "sessions_seen": i.seen,
            "sessions_explained": i.explained,
            "confidence": rate.confidence().map(|c| c.round_dp(4).to_string()),
            "highest_pay": i.highest_pay.map(|h| h.to_string()),
            "pending_sessions": rate.pending,
            "unreported_sessions": rate.unreported,
            "explains_most": rate.explains_most(),
            "policy": policy,
            "undetermined": rate.undetermined(),
            "settings": settings,
            "outliers": outliers,
        })
    }

    fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{:>8}  {:<20} {:>9} {:>9} {:>9} {:>8}  undetermined",
            "rate", "kind", "seen", "explained", "confidence", "outliers"
        )?;
        for rate in &self.rates {
            let i = &rate.inference;
            let undetermined = rate.undetermined();
            writeln!(
                out,
                "{:>8}  {:<20} {:>9} {:>9} {:>9} {:>8}  {}",
                rate.id.0,
                rate.kinds.join(","),
                i.seen,
                i.explained,
                rate.confidence_percent(),
                rate.outliers.len(),
                if undetermined.is_empty() {
                    "-".to_string()
                } else {
                    undetermined.join(", ")
                }
            )?;
        }
        let (seen, explained) = self.totals();
        writeln!(
            out,
            "{:>8}  {:<20} {:>9} {:>9} {:>9}",
            "all",
            "",
            seen,
            explained,
            if seen > 0 {
                format!(
                    "{}%",
                    (Decimal::from(explained) * Decimal::ONE_HUNDRED / Decimal::from(seen)).round_dp(2)
                )
            } else {
                "-".to_string()
            }
        )
    }
}
