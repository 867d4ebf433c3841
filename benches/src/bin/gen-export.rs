//! gen-export: write a synthetic TeamUp instructed-sessions export (CSV, NDJSON or JSON pages),
//! its rate policy (rates.toml) and the payroll sessionpay should compute from them.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use sessionpay_benches::truth::Payroll;
use sessionpay_benches::{Format, Generator, Sink, World};

const USAGE: &str = "\
usage: gen-export --sessions N --out PATH [--format csv|ndjson|pages|json] [--seed S]
                  [--rates-out rates.toml] [--payroll-out payroll.csv]
                  [--start-id ID] [--instructors K] [--quiet]

  --sessions N      rows to write (underscores allowed: 1_000_000)
  --out PATH        file for csv/ndjson/json (`-` = stdout), folder for pages (page-00001.json, ...)
  --format F        csv (default; dot-key header), ndjson, pages (JSON responses of 100 rows)
                    or json (one JSON response holding every row)
  --seed S          PRNG seed (default 1); same seed and N => byte-identical output
  --rates-out FILE  write the rate policy (SPEC 3 TOML, with [venues.N] currency for every venue)
  --payroll-out F   write the expected `sessionpay payroll --period month` CSV for this export
  --start-id ID     first session id (default 1000000); ids increase with small gaps
  --instructors K   instructor count (default: N/5000, at least 40)
  --quiet           no summary on stderr
";

struct Args {
    sessions: u64,
    seed: u64,
    format: Format,
    out: PathBuf,
    rates_out: Option<PathBuf>,
    payroll_out: Option<PathBuf>,
    start_id: u64,
    instructors: Option<usize>,
    quiet: bool,
}

fn num<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    v.replace('_', "")
        .parse()
        .map_err(|_| format!("{flag}: not a number: {v:?}"))
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        sessions: 0,
        seed: 1,
        format: Format::Csv,
        out: PathBuf::new(),
        rates_out: None,
        payroll_out: None,
        start_id: 1_000_000,
        instructors: None,
        quiet: false,
    };
    let mut sessions = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--sessions" | "-n" => sessions = Some(num(&flag, it.next())?),
            "--seed" => a.seed = num(&flag, it.next())?,
            "--format" => a.format = it.next().ok_or("--format needs a value")?.parse()?,
            "--out" | "-o" => a.out = it.next().ok_or("--out needs a value")?.into(),
            "--rates-out" => a.rates_out = Some(it.next().ok_or("--rates-out needs a value")?.into()),
            "--payroll-out" => a.payroll_out = Some(it.next().ok_or("--payroll-out needs a value")?.into()),
            "--start-id" => a.start_id = num(&flag, it.next())?,
            "--instructors" => a.instructors = Some(num::<usize>(&flag, it.next())?.max(1)),
            "--quiet" | "-q" => a.quiet = true,
            "--help" | "-h" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    a.sessions = sessions.ok_or("--sessions is required")?;
    if a.out.as_os_str().is_empty() {
        return Err("--out is required".into());
    }
    if a.format == Format::Pages && a.out.as_os_str() == "-" {
        return Err("--format pages needs a folder for --out".into());
    }
    Ok(a)
}

fn run(a: &Args) -> io::Result<()> {
    let t0 = Instant::now();
    let world = World::new(
        a.seed,
        a.instructors
            .unwrap_or_else(|| World::default_instructors(a.sessions)),
    );
    if let Some(p) = &a.rates_out {
        fs::write(p, world.rates_toml(a.sessions))?;
    }
    let mut sink = Sink::new(&world, a.format, &a.out, a.sessions)?;
    let mut payroll = a.payroll_out.as_ref().map(|_| Payroll::default());
    let mut stats = Payroll::default();
    for s in Generator::new(&world, a.sessions, a.start_id) {
        sink.write(&s)?;
        match payroll.as_mut() {
            Some(p) => p.add(&world, &s),
            None => {
                stats.sessions += 1;
                stats.pending += u64::from(s.pending);
                stats.unrated += u64::from(s.rate.is_none());
                stats.planted += u64::from(s.planted);
            }
        }
    }
    let bytes = sink.finish()?;
    if let (Some(path), Some(p)) = (&a.payroll_out, &payroll) {
        let mut w = BufWriter::new(fs::File::create(path)?);
        p.write_csv(&world, &mut w)?;
        w.flush()?;
    }
    let st = payroll.as_ref().unwrap_or(&stats);
    if !a.quiet {
        let secs = t0.elapsed().as_secs_f64();
        eprintln!(
            "gen-export: {} sessions ({} pending, {} unrated, {} planted discrepancies), {} instructors, {} rates, \
             {:.1} MB in {:.2}s ({:.0} rows/s)",
            st.sessions,
            st.pending,
            st.unrated,
            st.planted,
            world.instructors.len(),
            world.rates.len(),
            bytes as f64 / 1e6,
            secs,
            st.sessions as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen-export: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-export: {e}");
            ExitCode::from(2)
        }
    }
}
