//! The fields of a report row and every name they go by.

/// A field of the instructed-sessions report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Field {
    Id,
    Name,
    OfferingTypeId,
    OfferingTypeName,
    InstructorId,
    InstructorName,
    StartsAt,
    VenueId,
    VenueName,
    VenueTimezone,
    MaxOccupancy,
    Hours,
    Attended,
    NoShows,
    LateCancels,
    Comped,
    SessionType,
    RateId,
    RateName,
    RateType,
    RateBase,
    RateTiers,
    Pay,
    PayCurrency,
    Pending,
}

impl Field {
    pub(crate) const ALL: [Field; 25] = [
        Field::Id,
        Field::Name,
        Field::OfferingTypeId,
        Field::OfferingTypeName,
        Field::InstructorId,
        Field::InstructorName,
        Field::StartsAt,
        Field::VenueId,
        Field::VenueName,
        Field::VenueTimezone,
        Field::MaxOccupancy,
        Field::Hours,
        Field::Attended,
        Field::NoShows,
        Field::LateCancels,
        Field::Comped,
        Field::SessionType,
        Field::RateId,
        Field::RateName,
        Field::RateType,
        Field::RateBase,
        Field::RateTiers,
        Field::Pay,
        Field::PayCurrency,
        Field::Pending,
    ];

    /// The dot-notation key, as the SPEC names the field.
    pub(crate) fn key(self) -> &'static str {
        self.names()[0]
    }

    /// Every name: the dot key first, then flat aliases.
    pub(crate) fn names(self) -> &'static [&'static str] {
        match self {
            Field::Id => &["id", "session_id"],
            Field::Name => &["name", "session_name"],
            Field::OfferingTypeId => &["offering_type.id", "offering_type_id"],
            Field::OfferingTypeName => &["offering_type.name", "offering_type_name"],
            Field::InstructorId => &["instructor.id", "instructor_id"],
            Field::InstructorName => &["instructor.name", "instructor_name"],
            Field::StartsAt => &["starts_at"],
            Field::VenueId => &["venue.id", "venue_id"],
            Field::VenueName => &["venue.name", "venue_name"],
            Field::VenueTimezone => &["venue_timezone", "venue.timezone"],
            Field::MaxOccupancy => &["max_occupancy"],
            Field::Hours => &["hours"],
            Field::Attended => &["attended_count"],
            Field::NoShows => &["no_show_count"],
            Field::LateCancels => &["late_cancel_count"],
            Field::Comped => &[
                "comped_counts.attended",
                "attended_comped_count",
                "comped_attended_count",
            ],
            Field::SessionType => &["session_type"],
            Field::RateId => &["instructor_pay_rate.id", "instructor_pay_rate_id", "pay_rate_id"],
            Field::RateName => &[
                "instructor_pay_rate.name",
                "instructor_pay_rate_name",
                "pay_rate_name",
            ],
            Field::RateType => &[
                "instructor_pay_rate.type",
                "instructor_pay_rate_type",
                "pay_rate_type",
            ],
            Field::RateBase => &[
                "instructor_pay_rate.base",
                "instructor_pay_rate_base",
                "pay_rate_base",
            ],
            Field::RateTiers => &[
                "instructor_pay_rate.tiers",
                "pay_rate_tiers",
                "instructor_pay_rate_tiers",
            ],
            Field::Pay => &["instructor_pay", "instructor_pay.decimal"],
            Field::PayCurrency => &[
                "instructor_pay.iso_currency_code",
                "instructor_pay_iso_currency_code",
                "instructor_pay_currency",
            ],
            Field::Pending => &["instructor_pay_calculation_pending"],
        }
    }

    /// Whether an export without this column cannot be paid correctly.
    pub(crate) fn is_required(self) -> bool {
        matches!(
            self,
            Field::Id
                | Field::InstructorId
                | Field::StartsAt
                | Field::VenueId
                | Field::VenueTimezone
                | Field::Hours
                | Field::Attended
                | Field::NoShows
                | Field::LateCancels
                | Field::Comped
                | Field::RateId
                | Field::RateType
                | Field::Pay
                | Field::Pending
        )
    }

    /// The field a key names exactly: its dot key or a flat spelling.
    pub(crate) fn from_key(key: &str) -> Option<Field> {
        let key = key.trim();
        Field::ALL.into_iter().find(|f| f.names().contains(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_flat_spellings_name_one_field() {
        assert_eq!(Field::from_key("instructor_pay_rate.id"), Some(Field::RateId));
        assert_eq!(Field::from_key("pay_rate_id"), Some(Field::RateId));
        assert_eq!(Field::from_key(" attended_count "), Some(Field::Attended));
        assert_eq!(Field::from_key("Attended"), None);
        let mut seen = std::collections::BTreeMap::new();
        for field in Field::ALL {
            for name in field.names() {
                let previous = seen.insert(*name, field);
                assert!(previous.is_none_or(|p| p == field), "{name}");
            }
        }
    }
}
