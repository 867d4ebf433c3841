//! One instructed session, typed and validated.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::money::Currency;
use crate::rate::PayRate;

/// A session's id in TeamUp (unique per session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub u64);

/// An instructor's id in TeamUp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstructorId(pub u64);

/// A venue's id in TeamUp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VenueId(pub u64);

/// `class` (events, appointments) or `course_session` (one course date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SessionType {
    /// An event or appointment.
    Class,
    /// One date of a course.
    CourseSession,
}

impl SessionType {
    /// TeamUp's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SessionType::Class => "class",
            SessionType::CourseSession => "course_session",
        }
    }

    /// Parses TeamUp's name.
    pub fn from_name(name: &str) -> Option<SessionType> {
        match name {
            "class" => Some(SessionType::Class),
            "course_session" => Some(SessionType::CourseSession),
            _ => None,
        }
    }
}

/// Attendance counts, validated: `comped <= attended`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Counts {
    attended: u32,
    comped: u32,
    late_cancels: u32,
    no_shows: u32,
}

impl Counts {
    /// Builds counts, checking that comped attendees are a subset of attended.
    ///
    /// ```
    /// use sessionpay_core::Counts;
    /// assert!(Counts::try_new(10, 2, 1, 0).is_ok());
    /// assert!(Counts::try_new(1, 2, 0, 0).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::CompedExceedsAttended`].
    pub fn try_new(attended: u32, comped: u32, late_cancels: u32, no_shows: u32) -> Result<Counts> {
        if comped > attended {
            return Err(Error::CompedExceedsAttended { comped, attended });
        }
        Ok(Counts {
            attended,
            comped,
            late_cancels,
            no_shows,
        })
    }

    /// Customers marked attended (comped included).
    pub fn attended(&self) -> u32 {
        self.attended
    }

    /// Attended with a comped (free) booking.
    pub fn comped(&self) -> u32 {
        self.comped
    }

    /// Late cancellations.
    pub fn late_cancels(&self) -> u32 {
        self.late_cancels
    }

    /// No-shows.
    pub fn no_shows(&self) -> u32 {
        self.no_shows
    }
}

/// The start of a session as the export gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartsAt {
    /// An instant: the text carried `Z` or an offset.
    Instant(DateTime<FixedOffset>),
    /// A venue-local wall-clock time with no offset.
    Local(NaiveDateTime),
}

impl StartsAt {
    /// The instant, reading a local time in `zone`.
    ///
    /// In the hour repeated when clocks go back, the earlier offset is taken;
    /// a time in the skipped hour is an error.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use sessionpay_core::StartsAt;
    ///
    /// let zone: chrono_tz::Tz = "Europe/London".parse()?;
    /// // 01:30 on 2026-10-25 happens twice in London: the earlier (BST, +01:00) is taken.
    /// let repeated = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap().and_hms_opt(1, 30, 0).unwrap();
    /// assert_eq!(StartsAt::Local(repeated).to_utc(zone)?.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    /// // 01:30 on 2026-03-29 never happens in London.
    /// let skipped = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap().and_hms_opt(1, 30, 0).unwrap();
    /// assert!(StartsAt::Local(skipped).to_utc(zone).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::SkippedLocalTime`].
    pub fn to_utc(self, zone: Tz) -> Result<DateTime<Utc>> {
        match self {
            StartsAt::Instant(t) => Ok(t.with_timezone(&Utc)),
            StartsAt::Local(local) => match zone.from_local_datetime(&local) {
                LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                LocalResult::Ambiguous(earlier, _) => Ok(earlier.with_timezone(&Utc)),
                LocalResult::None => Err(Error::SkippedLocalTime { local, zone }),
            },
        }
    }
}

/// A name a session shows: shared text, cheap to clone. The empty name
/// holds nothing, so a reader that does not keep a name (a payroll shows
/// only the instructor's) clones and drops it without an atomic reference
/// count.
///
/// ```
/// use sessionpay_core::Name;
/// let name = Name::from("Spin");
/// assert_eq!(&*name, "Spin");
/// assert_eq!(Name::default(), Name::from(""));
/// ```
#[derive(Clone, Default)]
pub struct Name(Option<Arc<str>>);

impl Name {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<Arc<str>> for Name {
    fn from(text: Arc<str>) -> Name {
        Name((!text.is_empty()).then_some(text))
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name((!text.is_empty()).then(|| Arc::from(text)))
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name::from(text.as_str())
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One instructed session, ready to be paid; as a [`SessionDraft`]
/// (`Session<Unsettled>`), the same session before its currency is settled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Session<C = Currency> {
    /// TeamUp's session id.
    pub id: SessionId,
    /// The session's name.
    pub name: Name,
    /// The instructor.
    pub instructor: InstructorId,
    /// The instructor's name on this session.
    pub instructor_name: Arc<str>,
    /// The venue.
    pub venue: VenueId,
    /// The venue's name.
    pub venue_name: Name,
    /// The venue's IANA time zone.
    pub zone: Tz,
    /// The start instant.
    pub starts_at: DateTime<Utc>,
    /// Duration in hours, zero or more.
    pub hours: Decimal,
    /// Attendance counts.
    pub counts: Counts,
    /// Class or course session.
    pub session_type: SessionType,
    /// The pay rate, or `None` when the instructor has no rate (pays 0).
    pub rate: Option<Arc<PayRate>>,
    /// TeamUp's figure, as given, when present.
    pub reported: Option<Decimal>,
    /// TeamUp's figure is provisional.
    pub pending: bool,
    /// The currency every amount of this session is in ([`Unsettled`] in a draft).
    pub currency: C,
}

/// The currency of a [`SessionDraft`]: not yet known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Unsettled;

/// A session as a row gives it, before its currency is settled: every
/// field of a [`Session`] but the currency, which a [`CurrencyBook`] decides
/// from what the row and the other rows of its venue say. The fields are
/// `Session`'s own, declared once.
pub type SessionDraft = Session<Unsettled>;

impl<C> Session<C> {
    /// The same session in `currency`: a draft ([`SessionDraft`]) becomes
    /// the session, in the currency settled for it.
    pub fn with_currency<D>(self, currency: D) -> Session<D> {
        Session {
            id: self.id,
            name: self.name,
            instructor: self.instructor,
            instructor_name: self.instructor_name,
            venue: self.venue,
            venue_name: self.venue_name,
            zone: self.zone,
            starts_at: self.starts_at,
            hours: self.hours,
            counts: self.counts,
            session_type: self.session_type,
            rate: self.rate,
            reported: self.reported,
            pending: self.pending,
            currency,
        }
    }

    /// Checks what types alone cannot: hours are zero or more.
    ///
    /// # Errors
    /// [`Error::NegativeHours`].
    pub fn validate(&self) -> Result<()> {
        if self.hours.is_sign_negative() && !self.hours.is_zero() {
            return Err(Error::NegativeHours { hours: self.hours });
        }
        Ok(())
    }
}

/// What a row says about its currency, in the order SPEC section 2 weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CurrencyEvidence {
    /// `instructor_pay.iso_currency_code`.
    pub reported_code: Option<Currency>,
    /// The tiers' currency.
    pub tiers: Option<Currency>,
    /// A money symbol seen in a formatted figure.
    pub symbol: Option<&'static str>,
}

/// What [`CurrencyBook::settle`] made of a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The session, its currency settled.
    Now(Session),
    /// The draft, whose currency only the rows still to come can tell: for
    /// [`CurrencyBook::settle_late`] once every row is read.
    Later(SessionDraft),
}

/// Decides each session's currency and keeps each venue to one currency.
///
/// Feed every row's evidence through [`CurrencyBook::decide`] as it is read;
/// rows that it cannot place yet (no code, no tiers currency, no configured
/// venue currency) are placed at the end with
/// [`CurrencyBook::decide_late`], which also uses what other rows showed for
/// the venue.
#[derive(Debug, Clone, Default)]
pub struct CurrencyBook {
    configured: rustc_hash::FxHashMap<VenueId, Currency>,
    seen: rustc_hash::FxHashMap<VenueId, Currency>,
    /// Decisions already made, a slot per venue and shape of evidence (modulo
    /// the size): a venue's rows mostly carry the same evidence, and a decision
    /// made once stands (the venue's currency, once seen, never changes).
    recent: [Option<(VenueId, CurrencyEvidence, Currency)>; RECENT],
}

/// Slots of [`CurrencyBook`]'s memory of recent decisions.
const RECENT: usize = 32;

impl CurrencyBook {
    /// A book that knows the configured venue currencies.
    pub fn new(configured: std::collections::BTreeMap<VenueId, Currency>) -> CurrencyBook {
        CurrencyBook {
            configured: configured.into_iter().collect(),
            seen: Default::default(),
            recent: [None; RECENT],
        }
    }

    /// The currency of a row from its own evidence and the configuration, if
    /// those settle it; records it for the venue.
    ///
    /// # Errors
    /// [`Error::CurrencyConflict`] when the venue was seen with another currency.
    pub fn decide(&mut self, venue: VenueId, evidence: &CurrencyEvidence) -> Result<Option<Currency>> {
        // A venue's rows with and without tiers or a code take different slots.
        let shape = u64::from(evidence.tiers.is_some()) | u64::from(evidence.reported_code.is_some()) << 1;
        let slot = (venue.0.wrapping_mul(4).wrapping_add(shape) % RECENT as u64) as usize;
        if let Some((v, e, currency)) = &self.recent[slot] {
            if *v == venue && e == evidence {
                return Ok(Some(*currency));
            }
        }
        let decided = self.decide_afresh(venue, evidence)?;
        if let Some(currency) = decided {
            self.recent[slot] = Some((venue, *evidence, currency));
        }
        Ok(decided)
    }

    fn decide_afresh(&mut self, venue: VenueId, evidence: &CurrencyEvidence) -> Result<Option<Currency>> {
        if let (Some(a), Some(b)) = (evidence.reported_code, evidence.tiers) {
            if a != b {
                return Err(Error::CurrencyConflict {
                    venue: venue.0,
                    first: a,
                    second: b,
                });
            }
        }
        // A venue's currency, once seen, never changes: a row with no
        // evidence of its own takes it now rather than waiting for the end
        // (which would keep every such row in memory until then).
        let decided = evidence
            .reported_code
            .or(evidence.tiers)
            .or_else(|| self.configured.get(&venue).copied())
            .or_else(|| self.seen.get(&venue).copied());
        match decided {
            Some(currency) => {
                check_symbol(venue, evidence, currency)?;
                self.record(venue, currency)?;
                Ok(Some(currency))
            }
            None => Ok(None),
        }
    }

    /// The currency of a row that [`CurrencyBook::decide`] could not place:
    /// the one currency the venue showed elsewhere, else an unambiguous symbol.
    ///
    /// # Errors
    /// [`Error::UnknownVenueCurrency`] when nothing settles it,
    /// [`Error::CurrencyConflict`] when the symbol contradicts the venue.
    pub fn decide_late(&mut self, venue: VenueId, evidence: &CurrencyEvidence) -> Result<Currency> {
        if let Some(currency) = self.seen.get(&venue).copied() {
            check_symbol(venue, evidence, currency)?;
            return Ok(currency);
        }
        match evidence.symbol.and_then(Currency::from_unambiguous_symbol) {
            Some(currency) => {
                self.record(venue, currency)?;
                Ok(currency)
            }
            None => Err(Error::UnknownVenueCurrency {
                venue: venue.0,
                symbol: evidence.symbol.map(str::to_string),
            }),
        }
    }

    /// The session of `draft` in the currency its evidence and the
    /// configuration settle, as [`CurrencyBook::decide`] decides it; the
    /// draft back when only later rows can tell (see [`CurrencyBook::settle_late`]).
    ///
    /// # Errors
    /// As [`CurrencyBook::decide`].
    pub fn settle(&mut self, draft: SessionDraft, evidence: &CurrencyEvidence) -> Result<Settled> {
        Ok(match self.decide(draft.venue, evidence)? {
            Some(currency) => Settled::Now(draft.with_currency(currency)),
            None => Settled::Later(draft),
        })
    }

    /// The session of a draft that [`CurrencyBook::settle`] gave back, once
    /// every row is read, as [`CurrencyBook::decide_late`] decides it.
    ///
    /// # Errors
    /// As [`CurrencyBook::decide_late`].
    pub fn settle_late(&mut self, draft: SessionDraft, evidence: &CurrencyEvidence) -> Result<Session> {
        let currency = self.decide_late(draft.venue, evidence)?;
        Ok(draft.with_currency(currency))
    }

    /// Records what another book learned (a parallel reader's), checking for conflicts.
    ///
    /// # Errors
    /// [`Error::CurrencyConflict`].
    pub fn merge(&mut self, other: &CurrencyBook) -> Result<()> {
        for (venue, currency) in &other.seen {
            self.record(*venue, *currency)?;
        }
        Ok(())
    }

    fn record(&mut self, venue: VenueId, currency: Currency) -> Result<()> {
        if self.seen.get(&venue) == Some(&currency) {
            return Ok(());
        }
        for known in [self.configured.get(&venue), self.seen.get(&venue)]
            .into_iter()
            .flatten()
        {
            if *known != currency {
                return Err(Error::CurrencyConflict {
                    venue: venue.0,
                    first: *known,
                    second: currency,
                });
            }
        }
        self.seen.insert(venue, currency);
        Ok(())
    }
}

/// A figure's symbol must fit the currency decided for it.
fn check_symbol(venue: VenueId, evidence: &CurrencyEvidence, currency: Currency) -> Result<()> {
    match evidence.symbol {
        Some(symbol) if !currency.fits_symbol(symbol) => match Currency::from_unambiguous_symbol(symbol) {
            Some(second) => Err(Error::CurrencyConflict {
                venue: venue.0,
                first: currency,
                second,
            }),
            None => Err(Error::SymbolMismatch {
                venue: venue.0,
                symbol: symbol.to_string(),
                currency,
            }),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_hash_and_order_as_their_text() {
        use std::hash::BuildHasher;
        let texts = ["", "Ana", "Ana Müller", "ana", "Zoë"];
        for a in texts {
            let from_arc = Name::from(Arc::<str>::from(a));
            assert_eq!(from_arc, Name::from(a));
            assert_eq!(from_arc, Name::from(a.to_string()));
            assert_eq!(&*from_arc, a);
            assert_eq!(from_arc.to_string(), a);
            assert_eq!(format!("{from_arc:?}"), format!("{a:?}"));
            let state = std::collections::hash_map::RandomState::new();
            assert_eq!(state.hash_one(&from_arc), state.hash_one(a));
            for b in texts {
                assert_eq!(Name::from(a).cmp(&Name::from(b)), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(Name::from(a) == Name::from(b), a == b);
            }
        }
        assert_eq!(Name::default(), Name::from(""));
    }

    #[test]
    fn a_symbol_must_fit_the_venue_currency() {
        let mut book = CurrencyBook::new([(VenueId(1), Currency::USD)].into());
        let pound = CurrencyEvidence {
            symbol: Some("£"),
            ..Default::default()
        };
        assert!(matches!(
            book.decide(VenueId(1), &pound),
            Err(Error::CurrencyConflict { venue: 1, .. })
        ));
        let yen = CurrencyEvidence {
            symbol: Some("¥"),
            ..Default::default()
        };
        assert!(matches!(
            book.decide(VenueId(1), &yen),
            Err(Error::SymbolMismatch { venue: 1, .. })
        ));
        let mut book = CurrencyBook::default();
        assert_eq!(book.decide_late(VenueId(2), &pound).unwrap(), gbp());
        let euro = CurrencyEvidence {
            symbol: Some("€"),
            ..Default::default()
        };
        assert!(book.decide_late(VenueId(2), &euro).is_err());
    }

    fn gbp() -> Currency {
        Currency::try_from_code("GBP").unwrap()
    }

    #[test]
    fn remembered_decisions_match_fresh_ones() {
        let eur = Currency::try_from_code("EUR").unwrap();
        let coded = |c: Currency, symbol: Option<&'static str>| CurrencyEvidence {
            reported_code: Some(c),
            symbol,
            ..Default::default()
        };
        let evidence = [
            coded(gbp(), Some("£")),
            coded(eur, Some("€")),
            coded(gbp(), None),
            CurrencyEvidence::default(),
            coded(Currency::USD, Some("$")),
        ];
        // Venues 1 and 9 share slots; 3 is configured in USD.
        let venues = [VenueId(1), VenueId(9), VenueId(3), VenueId(1), VenueId(9)];
        let configured = || CurrencyBook::new([(VenueId(3), Currency::USD)].into());
        let mut remembering = configured();
        for round in 0..3 {
            for (i, venue) in venues.iter().enumerate() {
                for e in &evidence {
                    let got = remembering.decide(*venue, e).map_err(|e| e.to_string());
                    // A fresh book that has seen what `remembering` has seen.
                    let mut fresh = configured();
                    fresh.seen = remembering.seen.clone();
                    let want = fresh.decide_afresh(*venue, e).map_err(|e| e.to_string());
                    assert_eq!(got, want, "round {round}, venue {i}, {e:?}");
                }
            }
        }
        // The first evidence seen fixed each venue's currency; the rest conflict.
        assert_eq!(remembering.seen[&VenueId(1)], gbp());
        assert_eq!(remembering.seen[&VenueId(9)], gbp());
        assert!(remembering.decide(VenueId(9), &evidence[1]).is_err());
        assert_eq!(remembering.decide(VenueId(9), &evidence[0]).unwrap(), Some(gbp()));
    }

    fn eur() -> Currency {
        Currency::try_from_code("EUR").unwrap()
    }

    #[test]
    fn the_reported_code_wins_then_tiers_then_configuration() {
        let mut book = CurrencyBook::new([(VenueId(1), gbp())].into());
        let ev = CurrencyEvidence::default();
        assert_eq!(book.decide(VenueId(1), &ev).unwrap(), Some(gbp()));
        assert_eq!(book.decide(VenueId(2), &ev).unwrap(), None);
        let ev = CurrencyEvidence {
            tiers: Some(eur()),
            ..Default::default()
        };
        assert_eq!(book.decide(VenueId(2), &ev).unwrap(), Some(eur()));
        // Venue 2 is now known as EUR for rows with nothing to go on.
        assert_eq!(
            book.decide_late(VenueId(2), &CurrencyEvidence::default())
                .unwrap(),
            eur()
        );
    }

    #[test]
    fn a_venue_with_two_currencies_is_an_error() {
        let mut book = CurrencyBook::new([(VenueId(1), gbp())].into());
        let ev = CurrencyEvidence {
            reported_code: Some(eur()),
            ..Default::default()
        };
        assert!(matches!(
            book.decide(VenueId(1), &ev),
            Err(Error::CurrencyConflict { venue: 1, .. })
        ));
    }

    fn draft(venue: u64) -> SessionDraft {
        SessionDraft {
            id: SessionId(1),
            name: "Spin".into(),
            instructor: InstructorId(7),
            instructor_name: "Dev".into(),
            venue: VenueId(venue),
            venue_name: "Studio".into(),
            zone: chrono_tz::Europe::London,
            starts_at: DateTime::from_timestamp(1_777_712_400, 0).unwrap(),
            hours: Decimal::ONE,
            counts: Counts::try_new(4, 0, 0, 0).unwrap(),
            session_type: SessionType::Class,
            rate: None,
            reported: None,
            pending: false,
            currency: Unsettled,
        }
    }

    #[test]
    fn a_draft_is_settled_now_or_once_every_row_is_read() {
        let mut book = CurrencyBook::new([(VenueId(1), gbp())].into());
        let nothing = CurrencyEvidence::default();
        // Venue 1's currency is configured: the draft is a session at once.
        match book.settle(draft(1), &nothing).unwrap() {
            Settled::Now(session) => {
                assert_eq!(session.currency, gbp());
                assert_eq!(session, draft(1).with_currency(gbp()));
            }
            Settled::Later(_) => panic!("a configured venue settles at once"),
        }
        // Venue 2 has nothing to go on yet: the draft comes back whole.
        let waiting = match book.settle(draft(2), &nothing).unwrap() {
            Settled::Later(waiting) => waiting,
            Settled::Now(session) => panic!("settled without evidence: {session:?}"),
        };
        assert_eq!(waiting, draft(2));
        assert!(book.settle_late(waiting.clone(), &nothing).is_err());
        // Another row of venue 2 shows euros: the waiting draft takes them.
        let coded = CurrencyEvidence {
            reported_code: Some(eur()),
            ..Default::default()
        };
        assert!(matches!(book.settle(draft(2), &coded).unwrap(), Settled::Now(_)));
        assert_eq!(book.settle_late(waiting, &nothing).unwrap().currency, eur());
        // From then on a row of venue 2 with nothing of its own settles at once.
        match book.settle(draft(2), &nothing).unwrap() {
            Settled::Now(session) => assert_eq!(session.currency, eur()),
            Settled::Later(_) => panic!("venue 2's currency is known: nothing to wait for"),
        }
        // A symbol that contradicts it is still refused.
        let pounds = CurrencyEvidence {
            symbol: Some("£"),
            ..Default::default()
        };
        assert!(book.settle(draft(2), &pounds).is_err());
    }

    #[test]
    fn shared_symbols_without_configuration_name_the_venue() {
        let mut book = CurrencyBook::default();
        let ev = CurrencyEvidence {
            symbol: Some("$"),
            ..Default::default()
        };
        let err = book.decide_late(VenueId(103), &ev).unwrap_err();
        assert!(err.to_string().contains("venue 103"), "{err}");
        let ev = CurrencyEvidence {
            symbol: Some("£"),
            ..Default::default()
        };
        assert_eq!(book.decide_late(VenueId(101), &ev).unwrap(), gbp());
    }
}
