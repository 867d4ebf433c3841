//! `sessionpay fetch`: its flags mapped onto [`FetchOptions`], and its
//! progress and notes on stderr through [`Printer`]. The client itself
//! (keyset paging, the totals check, retries, token masking, the
//! `FILE.partial` file and `--resume`) is `sessionpay_teamup::fetch_to_file`,
//! which documents them.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context};
use sessionpay_teamup::{FetchOptions, Printer, Token};

use crate::args::FetchArgs;

/// Hidden knob (milliseconds) for the backoff base, so that tests run fast.
const BACKOFF_ENV: &str = "SESSIONPAY_FETCH_BACKOFF_MS";

/// Runs `sessionpay fetch`.
pub(crate) fn run(args: &FetchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.output.as_os_str() != "-",
        "fetch writes a file, not stdout (-o -): it keeps FILE.partial so that --resume can continue \
         an interrupted run; give -o FILE"
    );
    let token = token(&args.token_env)?;
    let mut options = options(args);
    if let Some(ms) = std::env::var_os(BACKOFF_ENV) {
        let ms: u64 = ms
            .to_str()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| anyhow!("{BACKOFF_ENV} must be a whole number of milliseconds"))?;
        options.backoff_base = Duration::from_millis(ms);
    }
    let mut stderr = std::io::stderr();
    let tty = stderr.is_terminal();
    let mut printer = Printer::new(&mut stderr, args.quiet, tty, crate::ui::json_messages());
    let stats = sessionpay_teamup::fetch_to_file(&options, &token, &args.output, &mut printer)?;
    if let Some(path) = &args.save_columns {
        save_columns(path, stats.column_headers.as_ref())?;
    }
    printer.note(&format!(
        "wrote {}: {} sessions",
        args.output.display(),
        sessionpay_io::group(&(stats.kept + stats.fetched).to_string())
    ));
    Ok(())
}

/// The token in the environment variable `var`, without surrounding spaces.
///
/// # Errors
/// The variable is unset, empty, not UTF-8 or not a token a header can
/// carry; the message names `var`, never the value.
fn token(var: &str) -> Result<Token, sessionpay_teamup::Error> {
    use sessionpay_teamup::Error;
    let raw = match std::env::var(var) {
        Ok(v) => v,
        Err(std::env::VarError::NotPresent) => return Err(Error::TokenUnset { var: var.to_owned() }),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(Error::TokenInvalid {
                var: var.to_owned(),
                why: "not UTF-8",
            })
        }
    };
    let token = raw.trim();
    if token.is_empty() {
        return Err(Error::TokenEmpty { var: var.to_owned() });
    }
    Token::new(token, var)
}

/// Writes `{"column_headers": ...}` to `path` (atomically), as `--columns-from` reads it.
fn save_columns(path: &Path, headers: Option<&serde_json::Value>) -> anyhow::Result<()> {
    let headers = headers.context("the report sent no column_headers: nothing to save for --save-columns")?;
    let text = serde_json::to_string_pretty(&serde_json::json!({ "column_headers": headers }))?;
    let mut file = sessionpay_io::AtomicFile::create(path)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    file.commit()?;
    Ok(())
}

/// The flags as the client's options.
fn options(args: &FetchArgs) -> FetchOptions {
    let mut options = FetchOptions::new(&args.base_url);
    options.provider_id = args.provider_id;
    options.from = args.from;
    options.to = args.to;
    options.venues.clone_from(&args.venues);
    options.instructors.clone_from(&args.instructors);
    options.pay_rates.clone_from(&args.pay_rates);
    options.session_types.clone_from(&args.session_types);
    options.resume = args.resume;
    options
}

#[cfg(test)]
mod tests;
