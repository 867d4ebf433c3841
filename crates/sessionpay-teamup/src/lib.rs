//! # sessionpay-teamup
//!
//! A client for TeamUp's "instructed sessions" report: it pages the report
//! with keyset paging, checks the pages against the report's `total`, retries
//! what is worth retrying, and writes every row as one NDJSON line holding
//! exactly the text TeamUp sent.
//!
//! - [`fetch_to_file`]: the whole run, from [`FetchOptions`] and a [`Token`]
//!   to a file written through [`sessionpay_io::AtomicFile`] (its
//!   `FILE.partial` kept for a resumed run), returning [`FetchStats`].
//! - [`Progress`] and [`Event`]: what a run reports while it goes; the crate
//!   prints nothing, its caller shows the events.
//! - [`Token`]: the API token, checked, never shown, and masked in every
//!   form a server might echo ([`Token::redact`]).
//!
//! The choices that matter (paging, totals, retries, the partial file) are
//! described on [`fetch_to_file`].
//!
//! ```
//! use sessionpay_teamup::{fetch_to_file, BaseUrlProblem, Error, Event, FetchOptions, Token};
//!
//! let mut options = FetchOptions::new("http://goteamup.com/api/v2");
//! options.venues = vec![7, 8];
//! let token = Token::new("s3cret", "TEAMUP_TOKEN")?;
//! let mut shown = Vec::new();
//! let result = fetch_to_file(&options, &token, "may.ndjson".as_ref(), &mut |event: Event<'_>| {
//!     shown.push(format!("{event:?}"));
//! });
//! // Plain http to another machine would send the token in clear: refused before any request.
//! assert!(matches!(
//!     result,
//!     Err(Error::BaseUrl { problem: BaseUrlProblem::ClearText, .. })
//! ));
//! assert!(shown.is_empty());
//! assert_eq!(token.redact("echoed: S3CRET"), "echoed: [token]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod error;
mod events;
mod fetch;
mod http;
mod options;
mod page;
mod printer;
mod token;
mod totals;

pub use error::{BaseUrlProblem, Error, Result};
pub use events::{Event, FetchStats, Progress};
pub use fetch::{fetch_to_file, partial_path};
pub use options::{FetchOptions, SessionType, DEFAULT_BASE_URL};
pub use printer::Printer;
pub use token::Token;
pub use totals::Disagreement;
