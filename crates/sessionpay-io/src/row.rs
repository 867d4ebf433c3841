//! Turning one row of any shape into a typed session.

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::Value;
use sessionpay_core::chrono_tz::Tz;
use sessionpay_core::{
    Counts, Currency, CurrencyEvidence, InstructorId, Name, PayRate, RateId, RateKind, SessionDraft,
    SessionId, SessionType, Tier, Tiers, Unsettled, VenueId,
};

use crate::error::{Error, Location, Place, Result};
use crate::field::Field;
use crate::split::unescape;
use crate::value;

/// One cell of a row: CSV text or a JSON value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Text(&'a str),
    /// A quoted CSV field as it stands, its quotes still doubled: its text is
    /// [`unescape`] of it. Kept so for rate and name caches, which compare it
    /// as it stands and unescape only what they have not seen.
    Quoted(&'a str),
    Json(&'a Value),
}

/// Read access to the fields of one row.
pub(crate) trait RowAccess {
    /// The cell of `field`, or `None` when the input has no such column or key.
    fn get(&self, field: Field) -> Option<Cell<'_>>;
    /// The bytes of text `field` as they stand in the input, quotes and all,
    /// for [`plain_cells`], which sends a row to the general path unless they
    /// are plain digits: an input needs no unquoting or check here. `None`
    /// when the input has no such column, or its cells are not text (JSON).
    fn plain(&self, field: Field) -> Option<&[u8]> {
        match self.get(field)? {
            Cell::Text(t) | Cell::Quoted(t) => Some(t.as_bytes()),
            Cell::Json(_) => None,
        }
    }
    /// The name of `field` as this input spells it, for messages.
    fn column_name(&self, field: Field) -> Cow<'_, str>;
    /// Whether every required field is known to be there (a CSV header
    /// checked them once for all its rows).
    fn has_required_fields(&self) -> bool {
        false
    }
    /// The rate's fields as they stand in the input, when the input can cut
    /// them out in one piece: equal spans are equal rates.
    fn rate_span(&self) -> Option<&str> {
        None
    }
}

/// A row read from an input, typed, with what it says about its currency:
/// a [`sessionpay_core::CurrencyBook`] settles the draft into a session.
#[derive(Debug, Clone)]
pub struct ParsedRow {
    /// Where the row is in its input.
    pub location: Location,
    /// The session, all but its currency.
    pub draft: SessionDraft,
    /// What the row says about its currency.
    pub evidence: CurrencyEvidence,
}

/// Which free-text names a reader keeps in the sessions it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Names {
    /// The session's, the instructor's and the venue's.
    #[default]
    All,
    /// The instructor's only; the session's and the venue's are left empty.
    /// A payroll shows no other name, and skipping them saves a lookup each
    /// per row. Nothing is validated in a name, so no error is lost.
    InstructorOnly,
}

/// Turns rows into sessions, parsing each distinct rate and zone once and
/// sharing repeated names.
#[derive(Debug, Default)]
pub(crate) struct RowParser {
    rates: FxHashMap<u64, Vec<(RateKey, Arc<PayRate>)>>,
    cached_rates: usize,
    zones: FxHashMap<Box<str>, Tz>,
    names: FxHashMap<Box<str>, Arc<str>>,
    /// Rates (or none) by [`RowAccess::rate_span`]: one lookup instead of
    /// parsing the id and comparing four fields.
    rate_spans: FxHashMap<Box<str>, Option<Arc<PayRate>>>,
    /// Names from quoted fields with doubled quotes, by their raw text.
    quoted_names: FxHashMap<Box<str>, Arc<str>>,
    keep: Names,
}

/// What identifies a rate's content: two rows with the same key share one parsed rate.
#[derive(Debug, Clone, PartialEq)]
struct RateKey {
    name: Box<str>,
    kind: Box<str>,
    base: Box<str>,
    tiers: TiersKey,
}

#[derive(Debug, Clone, PartialEq)]
enum TiersKey {
    Missing,
    Text(Box<str>),
    Quoted(Box<str>),
    Json(Value),
}

impl TiersKey {
    fn matches(&self, cell: Option<Cell<'_>>) -> bool {
        match (self, cell) {
            (TiersKey::Missing, None) => true,
            (TiersKey::Text(a), Some(Cell::Text(b))) | (TiersKey::Quoted(a), Some(Cell::Quoted(b))) => {
                **a == *b
            }
            (TiersKey::Json(a), Some(Cell::Json(b))) => a == b,
            _ => false,
        }
    }

    fn of(cell: Option<Cell<'_>>) -> TiersKey {
        match cell {
            None => TiersKey::Missing,
            Some(Cell::Text(t)) => TiersKey::Text(t.into()),
            Some(Cell::Quoted(t)) => TiersKey::Quoted(t.into()),
            Some(Cell::Json(v)) => TiersKey::Json(v.clone()),
        }
    }
}

/// Caches stop growing past this many entries (an export with a new name or
/// rate on every row would otherwise hold them all).
const CACHE_LIMIT: usize = 65_536;

/// The most tiers a rate may have: a real rate has a handful, and each row
/// with its own long list would be priced tier by tier.
pub(crate) const MAX_TIERS: usize = 1_000;

/// Rate spans remembered at most: a studio has tens of rates, and a span is a
/// few hundred bytes.
const SPAN_LIMIT: usize = 4_096;

impl RowParser {
    /// A parser keeping `names`.
    pub(crate) fn new(names: Names) -> RowParser {
        RowParser {
            keep: names,
            ..RowParser::default()
        }
    }

    /// Parses one row.
    pub(crate) fn parse<R: RowAccess + ?Sized>(
        &mut self,
        row: &R,
        path: &Path,
        location: Location,
    ) -> Result<ParsedRow> {
        let ctx = Ctx { row, path, location };
        if let Some(missing) = Field::ALL
            .into_iter()
            .filter(|_| !row.has_required_fields())
            .find(|f| f.is_required() && row.get(*f).is_none())
        {
            return Err(ctx.field_error(missing, "missing, and it is required".to_string()));
        }
        let Plain {
            id,
            instructor,
            venue,
            hours,
            counts: [attended, no_shows, late_cancels, comped],
        } = match plain_cells(row) {
            Some(plain) => plain,
            None => self.general_cells(&ctx)?,
        };
        let zone = self.zone(&ctx)?;
        let starts_at = ctx.required(Field::StartsAt, value::starts_at)?;
        let counts =
            Counts::try_new(attended, comped, late_cancels, no_shows).map_err(|e| ctx.row_error(e))?;
        let session_type = ctx
            .optional(Field::SessionType, |t| {
                SessionType::from_name(trim(t))
                    .ok_or_else(|| format!("expected class or course_session, but found {t:?}"))
            })?
            .unwrap_or(SessionType::Class);
        let pending = ctx.optional(Field::Pending, value::boolean)?.unwrap_or(false);
        let rate = self.rate(&ctx)?;
        let (reported, mut evidence) = ctx.pay()?;
        if let Some(code) = ctx.optional(Field::PayCurrency, |t| {
            Currency::try_from_code(t.trim())
                .map_err(|_| format!("expected an ISO 4217 currency code, but found {t:?}"))
        })? {
            if evidence.reported_code.is_some_and(|c| c != code) {
                return Err(ctx.field_error(
                    Field::PayCurrency,
                    format!(
                        "currency {code} differs from the figure's {}",
                        evidence.reported_code.map(|c| c.to_string()).unwrap_or_default()
                    ),
                ));
            }
            evidence.reported_code = Some(code);
        }
        if let Some(RateKind::Tiered { tiers }) = rate.as_deref().map(|r| &r.kind) {
            evidence.tiers = tiers.currency();
        }
        let starts_at = starts_at.to_utc(zone).map_err(|e| ctx.core_error(e))?;
        let draft = SessionDraft {
            id: SessionId(id),
            name: self.other_name(&ctx, Field::Name)?,
            instructor: InstructorId(instructor),
            instructor_name: self.name(&ctx, Field::InstructorName)?,
            venue: VenueId(venue),
            venue_name: self.other_name(&ctx, Field::VenueName)?,
            zone,
            starts_at,
            hours,
            counts,
            session_type,
            rate,
            reported,
            pending,
            currency: Unsettled,
        };
        Ok(ParsedRow {
            location,
            draft,
            evidence,
        })
    }

    /// [`plain_cells`] for any cells, naming the first bad one: the cells
    /// are read in the order of the columns they usually stand in, the zone
    /// and start among them, so the error is the one a row always had.
    #[cold]
    #[inline(never)]
    fn general_cells<R: RowAccess + ?Sized>(&mut self, ctx: &Ctx<'_, R>) -> Result<Plain> {
        let id = ctx.required(Field::Id, value::id)?;
        // Checked though not used: a malformed cell means a damaged file.
        ctx.optional(Field::OfferingTypeId, value::id)?;
        ctx.optional(Field::MaxOccupancy, value::count)?;
        let instructor = ctx.required(Field::InstructorId, value::id)?;
        let venue = ctx.required(Field::VenueId, value::id)?;
        self.zone(ctx)?;
        ctx.required(Field::StartsAt, value::starts_at)?;
        let hours = ctx.required(Field::Hours, value::decimal)?;
        if hours.is_sign_negative() && !hours.is_zero() {
            return Err(ctx.field_error(
                Field::Hours,
                format!("expected hours of zero or more, but found {hours}"),
            ));
        }
        let attended = ctx.optional(Field::Attended, value::count)?.unwrap_or(0);
        let no_shows = ctx.optional(Field::NoShows, value::count)?.unwrap_or(0);
        let late_cancels = ctx.optional(Field::LateCancels, value::count)?.unwrap_or(0);
        let comped = ctx.optional(Field::Comped, value::count)?.unwrap_or(0);
        Ok(Plain {
            id,
            instructor,
            venue,
            hours,
            counts: [attended, no_shows, late_cancels, comped],
        })
    }

    /// A free-text name, shared with earlier rows that had the same text.
    fn name<R: RowAccess + ?Sized>(&mut self, ctx: &Ctx<'_, R>, field: Field) -> Result<Arc<str>> {
        let scalar;
        // The text as `Ctx::scalar` gives it, read in place for CSV text.
        let text = match ctx.row.get(field) {
            Some(Cell::Quoted(raw)) => {
                if let Some(name) = self.quoted_names.get(raw) {
                    return Ok(Arc::clone(name));
                }
                let text = unescape(raw);
                let name: Arc<str> = Arc::from(if is_blank(&text) { "" } else { text.as_str() });
                if self.quoted_names.len() < CACHE_LIMIT {
                    self.quoted_names.insert(raw.into(), Arc::clone(&name));
                }
                return Ok(name);
            }
            None => "",
            Some(Cell::Text(t)) if is_blank(t) => "",
            Some(Cell::Text(t)) => t,
            Some(Cell::Json(_)) => {
                scalar = ctx.scalar(field)?;
                scalar.as_deref().unwrap_or("")
            }
        };
        if let Some(name) = self.names.get(text) {
            return Ok(Arc::clone(name));
        }
        let name: Arc<str> = Arc::from(text);
        if self.names.len() < CACHE_LIMIT {
            self.names.insert(text.into(), Arc::clone(&name));
        }
        Ok(name)
    }

    /// A name other than the instructor's: shared as [`RowParser::name`] does,
    /// or left empty when this parser does not keep it.
    fn other_name<R: RowAccess + ?Sized>(&mut self, ctx: &Ctx<'_, R>, field: Field) -> Result<Name> {
        match self.keep {
            Names::All => Ok(self.name(ctx, field)?.into()),
            Names::InstructorOnly => Ok(Name::default()),
        }
    }

    fn zone<R: RowAccess + ?Sized>(&mut self, ctx: &Ctx<'_, R>) -> Result<Tz> {
        let text = ctx.scalar(Field::VenueTimezone)?;
        let Some(text) = text.as_deref().map(trim) else {
            return Err(ctx.field_error(
                Field::VenueTimezone,
                "expected a value, but found none".to_string(),
            ));
        };
        if let Some(zone) = self.zones.get(text) {
            return Ok(*zone);
        }
        let zone: Tz = text.parse().map_err(|_| {
            ctx.field_error(
                Field::VenueTimezone,
                format!("expected an IANA time zone such as Europe/London, but found {text:?}"),
            )
        })?;
        if self.zones.len() < CACHE_LIMIT {
            self.zones.insert(text.into(), zone);
        }
        Ok(zone)
    }

    fn rate<R: RowAccess + ?Sized>(&mut self, ctx: &Ctx<'_, R>) -> Result<Option<Arc<PayRate>>> {
        let span = ctx.row.rate_span();
        if let Some(rate) = span.and_then(|s| self.rate_spans.get(s)) {
            return Ok(rate.clone());
        }
        let rate = self.rate_by_fields(ctx)?;
        if let Some(span) = span {
            if self.rate_spans.len() < SPAN_LIMIT {
                self.rate_spans.insert(span.into(), rate.clone());
            }
        }
        Ok(rate)
    }

    fn rate_by_fields<R: RowAccess + ?Sized>(&mut self, ctx: &Ctx<'_, R>) -> Result<Option<Arc<PayRate>>> {
        let Some(id) = ctx.optional(Field::RateId, value::id)? else {
            return Ok(None);
        };
        let name = ctx.scalar(Field::RateName)?;
        let kind_text = ctx.scalar(Field::RateType)?;
        let base_text = ctx.scalar(Field::RateBase)?;
        let tiers_cell = ctx.row.get(Field::RateTiers);
        let (name, kind_text, base_text) = (
            name.as_deref().unwrap_or(""),
            kind_text.as_deref().unwrap_or(""),
            base_text.as_deref().unwrap_or(""),
        );
        if let Some(cached) = self.rates.get(&id) {
            let hit = cached.iter().find(|(k, _)| {
                *k.name == *name
                    && *k.kind == *kind_text
                    && *k.base == *base_text
                    && k.tiers.matches(tiers_cell)
            });
            if let Some((_, rate)) = hit {
                return Ok(Some(Arc::clone(rate)));
            }
        }
        let key = RateKey {
            name: name.into(),
            kind: kind_text.into(),
            base: base_text.into(),
            tiers: TiersKey::of(tiers_cell),
        };
        let base = || -> Result<Decimal> {
            let base = ctx.required(Field::RateBase, value::decimal)?;
            if base.is_sign_negative() && !base.is_zero() {
                return Err(ctx.field_error(
                    Field::RateBase,
                    format!("expected a rate of zero or more, but found {base}"),
                ));
            }
            Ok(base)
        };
        // A cell the rate type does not use is still checked: a malformed
        // one means the file is damaged.
        let unused_tiers = || -> Result<()> {
            match tiers_cell {
                Some(Cell::Text(t) | Cell::Quoted(t)) if is_blank(t) => Ok(()),
                Some(Cell::Json(Value::Null)) | None => Ok(()),
                Some(_) => ctx.tiers_or_none().map(drop),
            }
        };
        let unused_base = || -> Result<()> { ctx.optional(Field::RateBase, value::decimal).map(drop) };
        let kind = match key.kind.trim() {
            "per_customer" => {
                unused_tiers()?;
                RateKind::PerCustomer { base: base()? }
            }
            "per_hour" => {
                unused_tiers()?;
                RateKind::PerHour { base: base()? }
            }
            "per_customer_tiered" => {
                unused_base()?;
                RateKind::Tiered { tiers: ctx.tiers()? }
            }
            other => {
                return Err(ctx.field_error(
                    Field::RateType,
                    format!("expected per_customer, per_hour or per_customer_tiered, but found {other:?}"),
                ))
            }
        };
        let rate = Arc::new(PayRate {
            id: RateId(id),
            name: key.name.to_string(),
            kind,
        });
        if self.cached_rates < CACHE_LIMIT {
            self.cached_rates += 1;
            self.rates.entry(id).or_default().push((key, Arc::clone(&rate)));
        }
        Ok(Some(rate))
    }
}

/// The ids, hours and counts of a row (the counts in the order attended,
/// no-shows, late cancels, comped).
struct Plain {
    id: u64,
    instructor: u64,
    venue: u64,
    hours: Decimal,
    counts: [u32; 4],
}

/// The cells of [`Plain`] when every one stands in the input as plain text
/// in the common shape (digits, and a decimal of zero or more for the hours;
/// not quoted, so [`RowAccess::plain`] needs no unquoting) and the two
/// cells that are only checked are too, or absent or empty: read without
/// building a `Result` per cell. `None` for anything else, which
/// [`RowParser::general_cells`] reads as before, with the same values or the
/// error.
#[inline]
fn plain_cells<R: RowAccess + ?Sized>(row: &R) -> Option<Plain> {
    let id = |field: Field| value::plain_digits(row.plain(field)?, 18);
    let count = |field: Field| u32::try_from(value::plain_digits(row.plain(field)?, 9)?).ok();
    // First, so that a row without text cells (JSON) goes no further.
    let session = id(Field::Id)?;
    // Checked though not used: empty or absent is fine too.
    let checked = |field: Field, max: usize| match row.plain(field) {
        None => true,
        Some(b) => b.is_empty() || value::plain_digits(b, max).is_some(),
    };
    if !checked(Field::OfferingTypeId, 18) || !checked(Field::MaxOccupancy, 9) {
        return None;
    }
    let hours = value::simple_decimal(row.plain(Field::Hours)?)?;
    if hours.is_sign_negative() {
        return None;
    }
    Some(Plain {
        id: session,
        instructor: id(Field::InstructorId)?,
        venue: id(Field::VenueId)?,
        hours,
        counts: [
            count(Field::Attended)?,
            count(Field::NoShows)?,
            count(Field::LateCancels)?,
            count(Field::Comped)?,
        ],
    })
}

struct Ctx<'a, R: ?Sized> {
    row: &'a R,
    path: &'a Path,
    location: Location,
}

impl<R: RowAccess + ?Sized> Ctx<'_, R> {
    #[cold]
    #[inline(never)]
    fn field_error(&self, field: Field, problem: String) -> Error {
        Error::Field {
            path: self.path.to_path_buf(),
            location: self.location,
            column: self.row.column_name(field).into_owned(),
            problem,
        }
    }

    #[cold]
    fn row_error(&self, source: sessionpay_core::Error) -> Error {
        Error::Row {
            path: self.path.to_path_buf(),
            location: self.location,
            problem: source.to_string(),
        }
    }

    #[cold]
    fn core_error(&self, source: sessionpay_core::Error) -> Error {
        Error::Core {
            place: Place {
                path: self.path.to_path_buf(),
                location: self.location,
            },
            source,
        }
    }

    /// The cell as text, `None` when absent, empty or null.
    fn scalar(&self, field: Field) -> Result<Option<Cow<'_, str>>> {
        match self.row.get(field) {
            None => Ok(None),
            Some(Cell::Text(t)) if is_blank(t) => Ok(None),
            Some(Cell::Text(t)) => Ok(Some(Cow::Borrowed(t))),
            Some(Cell::Quoted(raw)) => {
                let text = unescape(raw);
                Ok((!is_blank(&text)).then_some(Cow::Owned(text)))
            }
            Some(Cell::Json(v)) => match v {
                Value::Null => Ok(None),
                Value::String(s) if is_blank(s) => Ok(None),
                Value::String(s) => Ok(Some(Cow::Borrowed(s))),
                Value::Number(n) => Ok(Some(Cow::Owned(n.to_string()))),
                Value::Bool(b) => Ok(Some(Cow::Borrowed(if *b { "true" } else { "false" }))),
                Value::Array(_) | Value::Object(_) => Err(self.field_error(
                    field,
                    format!("expected a single value, but found {}", truncate(&v.to_string())),
                )),
            },
        }
    }

    /// The cell parsed by `parse`, `None` when absent, empty or null.
    #[inline]
    fn optional<T>(&self, field: Field, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>> {
        // CSV text, the common case, is parsed in place; JSON values go through `scalar`.
        let parsed = match self.row.get(field) {
            None => return Ok(None),
            Some(Cell::Text(t)) if is_blank(t) => return Ok(None),
            Some(Cell::Text(t)) => parse(t),
            Some(Cell::Quoted(_) | Cell::Json(_)) => match self.scalar(field)? {
                None => return Ok(None),
                Some(text) => parse(&text),
            },
        };
        match parsed {
            Ok(v) => Ok(Some(v)),
            Err(p) => Err(self.field_error(field, p)),
        }
    }

    #[inline]
    fn required<T>(&self, field: Field, parse: impl Fn(&str) -> Result<T, String>) -> Result<T> {
        match self.optional(field, parse)? {
            Some(v) => Ok(v),
            None => Err(self.field_error(field, "expected a value, but found none".to_string())),
        }
    }

    fn tiers(&self) -> Result<Tiers> {
        self.tiers_or_none()?.ok_or_else(|| {
            self.field_error(
                Field::RateTiers,
                "expected a non-empty list of tiers, but found []".to_string(),
            )
        })
    }

    /// The tiers, `None` for an empty list (what a rate of another type carries).
    fn tiers_or_none(&self) -> Result<Option<Tiers>> {
        let field = Field::RateTiers;
        let parsed;
        let value = match self.row.get(field) {
            None => {
                return Err(self.field_error(
                    field,
                    "a tiered rate needs its tiers, but the column is missing".into(),
                ))
            }
            Some(Cell::Json(v)) => v,
            Some(cell @ (Cell::Text(_) | Cell::Quoted(_))) => {
                let t = match cell {
                    Cell::Quoted(raw) => Cow::Owned(unescape(raw)),
                    Cell::Text(t) => Cow::Borrowed(t),
                    Cell::Json(_) => Cow::Borrowed(""),
                };
                let (value, duplicate) = crate::json::from_slice(t.as_bytes()).map_err(|e| {
                    self.field_error(
                        field,
                        format!("expected the tiers as JSON ({e}), but found {}", truncate(&t)),
                    )
                })?;
                if let Some(key) = duplicate {
                    return Err(self.field_error(
                        field,
                        format!(
                            "the key {key:?} appears twice in one tier; which value is meant cannot be told"
                        ),
                    ));
                }
                parsed = value;
                &parsed
            }
        };
        let list = match value {
            Value::Array(list) if list.is_empty() => return Ok(None),
            Value::Array(list) => list,
            other => {
                return Err(self.field_error(
                    field,
                    format!(
                        "expected a non-empty list of tiers, but found {}",
                        truncate(&other.to_string())
                    ),
                ))
            }
        };
        if list.len() > MAX_TIERS {
            return Err(self.field_error(
                field,
                format!("expected at most {MAX_TIERS} tiers, but found {}", list.len()),
            ));
        }
        let mut tiers = Vec::with_capacity(list.len());
        for (i, tier) in list.iter().enumerate() {
            tiers.push(self.tier(i, tier)?);
        }
        Tiers::try_new(tiers)
            .map(Some)
            .map_err(|e| self.field_error(field, e.to_string()))
    }

    fn tier(&self, index: usize, tier: &Value) -> Result<Tier> {
        let field = Field::RateTiers;
        let bad = |what: &str, found: &Value| {
            self.field_error(
                field,
                format!(
                    "tier {index}: expected {what}, but found {}",
                    truncate(&found.to_string())
                ),
            )
        };
        let bound = |key: &str, open_ok: bool| -> Result<Option<u32>> {
            match tier.get(key) {
                None | Some(Value::Null) if open_ok => Ok(None),
                Some(v @ (Value::Number(_) | Value::String(_))) => {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    value::count(&text)
                        .map(Some)
                        .map_err(|_| bad(&format!("{key} as a whole number of customers"), v))
                }
                Some(v) => Err(bad(&format!("{key} as a whole number"), v)),
                None => Err(bad(&format!("a {key}"), tier)),
            }
        };
        if !tier.is_object() {
            return Err(bad(
                "an object with lower_bound, upper_bound and per_customer_amount",
                tier,
            ));
        }
        let lower = bound("lower_bound", false)?.unwrap_or(0);
        let upper = bound("upper_bound", true)?;
        let amount_value = tier
            .get("per_customer_amount")
            .ok_or_else(|| bad("a per_customer_amount", tier))?;
        let (amount_value, currency_value) = match amount_value {
            Value::Object(m) => (m.get("amount").unwrap_or(&Value::Null), m.get("currency")),
            other => (other, None),
        };
        let amount_text = match amount_value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            other => return Err(bad("per_customer_amount.amount as a decimal", other)),
        };
        let amount = value::decimal(&amount_text)
            .map_err(|p| self.field_error(field, format!("tier {index}: {p}")))?;
        let currency = match currency_value {
            None | Some(Value::Null) => None,
            Some(Value::String(code)) => Some(
                Currency::try_from_code(code)
                    .map_err(|e| self.field_error(field, format!("tier {index}: {e}")))?,
            ),
            Some(other) => return Err(bad("a currency code", other)),
        };
        Ok(Tier {
            lower,
            upper,
            amount,
            currency,
        })
    }

    /// TeamUp's figure and what it says about the currency.
    fn pay(&self) -> Result<(Option<Decimal>, CurrencyEvidence)> {
        let field = Field::Pay;
        let mut evidence = CurrencyEvidence::default();
        let mut text = |t: &str| -> Result<Option<Decimal>> {
            if is_blank(t) {
                return Ok(None);
            }
            let m = value::money(t).map_err(|p| self.field_error(field, p))?;
            evidence.reported_code = m.code;
            evidence.symbol = m.symbol;
            Ok(Some(m.amount))
        };
        let amount = match self.row.get(field) {
            None => None,
            Some(Cell::Text(t)) => text(t)?,
            Some(Cell::Quoted(raw)) => text(&unescape(raw))?,
            Some(Cell::Json(v)) => match v {
                Value::Null => None,
                Value::Number(n) => {
                    Some(value::decimal(&n.to_string()).map_err(|p| self.field_error(field, p))?)
                }
                Value::String(s) => text(s)?,
                Value::Object(m) => {
                    let formatted = match m.get("string") {
                        Some(Value::String(s)) if !s.trim().is_empty() => Some(
                            value::money(s).map_err(|p| self.field_error(field, format!("string: {p}")))?,
                        ),
                        _ => None,
                    };
                    if let Some(f) = formatted {
                        evidence.symbol = f.symbol;
                        evidence.reported_code = f.code;
                    }
                    match m.get("iso_currency_code") {
                        None | Some(Value::Null) => {}
                        Some(Value::String(code)) => {
                            evidence.reported_code =
                                Some(Currency::try_from_code(code).map_err(|e| {
                                    self.field_error(field, format!("iso_currency_code: {e}"))
                                })?);
                        }
                        Some(other) => {
                            return Err(self.field_error(
                                field,
                                format!("iso_currency_code: expected a currency code, but found {other}"),
                            ))
                        }
                    }
                    match m.get("decimal") {
                        Some(Value::Number(n)) => Some(
                            value::decimal(&n.to_string())
                                .map_err(|p| self.field_error(field, format!("decimal: {p}")))?,
                        ),
                        Some(Value::String(s)) if !s.trim().is_empty() => Some(
                            value::decimal(s)
                                .map_err(|p| self.field_error(field, format!("decimal: {p}")))?,
                        ),
                        None | Some(Value::Null) => formatted.map(|f| f.amount),
                        Some(other) => {
                            return Err(self.field_error(
                                field,
                                format!("decimal: expected a number, but found {other}"),
                            ))
                        }
                    }
                }
                Value::Array(_) | Value::Bool(_) => {
                    return Err(self.field_error(
                        field,
                        format!("expected a money object or an amount, but found {v}"),
                    ))
                }
            },
        };
        Ok((amount, evidence))
    }
}

/// `text.trim()`, without its scan for a cell that starts and ends with a
/// character that is not white space (the common case).
fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Empty or only white space, checked cheaply for the common non-blank cell.
fn is_blank(text: &str) -> bool {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (None, _) | (_, None) => true,
        // A figure such as `£7.50` starts with a symbol but ends with a digit.
        (Some(a), Some(b)) if a.is_ascii_graphic() || b.is_ascii_graphic() => false,
        _ => text.trim().is_empty(),
    }
}

/// The first 80 characters of a long value, for messages.
pub(crate) fn truncate(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head:?}… ({} bytes)", text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_agree_with_trim() {
        let cells = [
            "",
            " ",
            "\t\r\n",
            "\u{a0}",
            "\u{2003}x\u{2003}",
            "\u{2003}",
            "£7.50",
            "7.50 €",
            " 7 ",
            "x",
            "é",
            "[]",
            "-1",
            " £",
            "\"",
            "Europe/London",
            " Europe/London",
        ];
        for cell in cells {
            assert_eq!(is_blank(cell), cell.trim().is_empty(), "{cell:?}");
            assert_eq!(trim(cell), cell.trim(), "{cell:?}");
        }
    }
}
