//! Tests of `sessionpay fetch` against a scripted HTTP/1.1 stand-in of the report endpoint on
//! 127.0.0.1. Nothing here contacts any other address.

use super::*;
use clap::{CommandFactory as _, Parser};
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

const TOKEN: &str = "s3cret-T0ken-9f8e7d";
const TOKEN_ENV: &str = "SESSIONPAY_TEST_TOKEN";
const PATH: &str = "/api/v2/reports/instructed_sessions/data";

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    args: FetchArgs,
}

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
struct Req {
    path: String,
    raw_query: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

impl Req {
    fn param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn id_gt(&self) -> Option<u64> {
        self.param("id_gt")
            .map(|v| v.parse().expect("id_gt is an integer"))
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            i += 3;
        } else if b[i] == b'+' {
            out.push(b' ');
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8 query")
}

/// Reads one request head (GET, no body).
fn read_request(stream: &mut TcpStream) -> Option<Req> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8(buf).ok()?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    assert_eq!(parts.next(), Some("GET"));
    let target = parts.next()?.to_owned();
    assert_eq!(parts.next(), Some("HTTP/1.1"));
    let (path, raw_query) = target.split_once('?').unwrap_or((&target, ""));
    let query = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Req {
        path: path.to_owned(),
        raw_query: raw_query.to_owned(),
        query,
        headers,
    })
}

/// The stand-in: answers each connection with what the script returns, then closes it. It stops
/// when told to, or by itself after 20 seconds.
struct Server {
    base: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    seen: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    fn start<F>(mut script: F) -> Server
    where
        F: FnMut(&Req) -> Vec<u8> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop2, seen2) = (Arc::clone(&stop), Arc::clone(&seen));
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).expect("blocking");
                        stream
                            .set_read_timeout(Some(Duration::from_secs(5)))
                            .expect("timeout");
                        let Some(req) = read_request(&mut stream) else {
                            continue;
                        };
                        let reply = script(&req);
                        seen2.lock().expect("lock").push(req);
                        let _ = stream.write_all(&reply);
                        let _ = stream.flush();
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
        });
        Server {
            base: format!("http://{addr}/api/v2"),
            stop,
            handle: Some(handle),
            seen,
        }
    }

    /// Stops the stand-in and returns the requests it answered.
    fn finish(mut self) -> Vec<Req> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            h.join().expect("server thread");
        }
        let seen = self.seen.lock().expect("lock").clone();
        seen
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn reply(status: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn ok(body: &str) -> Vec<u8> {
    reply("200 OK", "", body)
}

/// A row with text that is easy to get wrong: escapes, brackets in strings, exact decimals.
fn row(id: u64) -> String {
    format!(
        r#"{{"name":"Flow \"{id}\" ]}},[{{","id":{id},"hours":1.10,"venue_timezone":"Europe/London","instructor_pay":{{"decimal":74.25,"string":"\u00a374.25"}},"tiers":[]}}"#
    )
}

fn page_body(total: usize, rows: &[String]) -> String {
    format!(
        r#"{{"total":{total},"column_headers":[{{"label":"Id","key":"id","sortable":true}}],"rows":[{}]}}"#,
        rows.join(",")
    )
}

/// Serves `data` (sorted by id) with keyset paging, like TeamUp.
fn keyset_page(data: &[(u64, String)], req: &Req) -> Vec<u8> {
    let size: usize = req.param("page_size").and_then(|s| s.parse().ok()).unwrap_or(50);
    capped_page(data, req, size)
}

fn dataset(ids: impl IntoIterator<Item = u64>) -> Vec<(u64, String)> {
    ids.into_iter().map(|id| (id, row(id))).collect()
}

fn test_cfg(base: &str) -> FetchConfig {
    let mut cfg = FetchConfig::new(base, TOKEN_ENV).expect("config");
    cfg.backoff_base = Duration::from_millis(1);
    cfg.max_backoff = Duration::from_millis(5);
    cfg
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .expect("output")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn ids_of(path: &Path) -> Vec<u64> {
    lines(path)
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json line")["id"]
                .as_u64()
                .expect("id")
        })
        .collect()
}

fn run_fetch(cfg: &FetchConfig, out: &Path) -> (anyhow::Result<FetchStats>, String) {
    let mut progress = Vec::new();
    let result = fetch_to_file(cfg, TOKEN, out, &mut progress);
    let progress = String::from_utf8(progress).expect("utf-8 progress");
    assert!(!progress.contains(TOKEN), "token in progress: {progress}");
    if let Err(e) = &result {
        assert!(!format!("{e:#}").contains(TOKEN), "token in error: {e:#}");
    }
    (result, progress)
}

fn assert_no_partial(out: &Path) {
    let partial = partial_path(out).expect("partial path");
    assert!(!partial.exists(), "{} was left behind", partial.display());
}

#[test]
fn pages_to_the_end_with_headers_and_keyset_params() {
    let data = dataset(1..=250);
    let d = data.clone();
    let server = Server::start(move |req| keyset_page(&d, req));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sessions.ndjson");
    let out_s = out.to_str().expect("utf-8 path");
    let cli = Cli::try_parse_from([
        "fetch",
        "--base-url",
        &format!("{}/", server.base),
        "--provider-id",
        "42",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-31",
        "--venues",
        "7,8",
        "--instructors",
        "5",
        "--pay-rates",
        "17,18",
        "--session-types",
        "class,course_session",
        "-o",
        out_s,
    ])
    .expect("arguments parse");
    let mut cfg = FetchConfig::from_args(&cli.args).expect("config");
    cfg.backoff_base = Duration::from_millis(1);

    let (result, progress) = run_fetch(&cfg, &cli.args.output);
    let stats = result.expect("fetch succeeds");
    let reqs = server.finish();

    // The third page is short, but only the empty fourth one ends the report.
    assert_eq!(stats.pages, 4);
    assert_eq!(stats.fetched, 250);
    assert_eq!(stats.total, Some(250));
    assert_eq!(stats.retries, 0);
    assert_eq!(reqs.len(), 4);
    let expected_after = [None, Some(100), Some(200), Some(250)];
    for (req, after) in reqs.iter().zip(expected_after) {
        assert_eq!(req.path, PATH);
        assert_eq!(req.header("authorization"), Some(&*format!("Token {TOKEN}")));
        assert_eq!(req.header("teamup-provider-id"), Some("42"));
        assert_eq!(req.param("format"), Some("json"));
        assert_eq!(req.param("page_size"), Some("100"));
        assert_eq!(req.param("sort"), Some("id"));
        assert_eq!(req.id_gt(), after);
        assert_eq!(req.param("starts_at_gte"), Some("2024-02-29T10:00:00Z"));
        assert_eq!(req.param("starts_at_lte"), Some("2024-04-01T14:00:00Z"));
        assert_eq!(req.param("venues"), Some("7,8"));
        assert_eq!(req.param("instructors"), Some("5"));
        assert_eq!(req.param("pay_rates"), Some("17,18"));
        assert_eq!(req.param("session_types"), Some("class,course_session"));
        assert!(req.raw_query.contains("venues=7%2C8"), "{}", req.raw_query);
        assert!(
            req.raw_query.contains("starts_at_gte=2024-02-29T10%3A00%3A00Z"),
            "{}",
            req.raw_query
        );
        assert!(!req.raw_query.contains(TOKEN));
    }
    let got = lines(&out);
    let want: Vec<String> = data.into_iter().map(|(_, r)| r).collect();
    assert_eq!(got, want);
    assert!(progress.contains("fetched 250 of 250 sessions"), "{progress}");
    assert_no_partial(&out);
}

#[test]
fn retries_429_honouring_retry_after() {
    let data = dataset(1..=5);
    let mut calls = 0;
    let server = Server::start(move |req| {
        calls += 1;
        if calls == 1 {
            reply("429 Too Many Requests", "Retry-After: 1\r\n", "{}")
        } else {
            keyset_page(&data, req)
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let started = Instant::now();
    let (result, progress) = run_fetch(&test_cfg(&server.base), &out);
    let elapsed = started.elapsed();
    let stats = result.expect("fetch succeeds after 429");
    let reqs = server.finish();
    assert_eq!(reqs.len(), 3);
    assert_eq!(stats.retries, 1);
    assert_eq!(ids_of(&out), vec![1, 2, 3, 4, 5]);
    // The backoff base is 1 ms: only Retry-After explains a wait of a second.
    assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
    assert!(progress.contains("HTTP 429"), "{progress}");
}

#[test]
fn retries_503_then_succeeds() {
    let data = dataset(1..=3);
    let mut calls = 0;
    let server = Server::start(move |req| {
        calls += 1;
        if calls <= 2 {
            reply("503 Service Unavailable", "", "busy")
        } else {
            keyset_page(&data, req)
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let stats = result.expect("fetch succeeds after 503s");
    assert_eq!(server.finish().len(), 4);
    assert_eq!(stats.retries, 2);
    assert_eq!(ids_of(&out), vec![1, 2, 3]);
}

#[test]
fn retries_a_cut_body() {
    let data = dataset(1..=120);
    let mut calls = 0;
    let server = Server::start(move |req| {
        calls += 1;
        let full = keyset_page(&data, req);
        if calls == 2 {
            // Second page: announce the whole body, send half of it, close.
            let head_end = full.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
            let body_len = full.len() - head_end;
            let mut cut = full[..head_end].to_vec();
            cut.extend_from_slice(&full[head_end..head_end + body_len / 2]);
            cut
        } else {
            full
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, progress) = run_fetch(&test_cfg(&server.base), &out);
    let stats = result.expect("fetch succeeds after a cut body");
    let reqs = server.finish();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[1].id_gt(), Some(100));
    assert_eq!(reqs[2].id_gt(), Some(100));
    assert_eq!(reqs[3].id_gt(), Some(120));
    assert_eq!(stats.retries, 1);
    assert_eq!(ids_of(&out), (1..=120).collect::<Vec<_>>());
    assert!(progress.contains("retrying"), "{progress}");
}

#[test]
fn retries_a_body_that_is_not_json() {
    let data = dataset(1..=2);
    let mut calls = 0;
    let server = Server::start(move |req| {
        calls += 1;
        if calls == 1 {
            reply("200 OK", "", "<html>Bad gateway</html>")
        } else if calls == 2 {
            ok(r#"{"total": 2, "rows": [{"id": 1"#)
        } else {
            keyset_page(&data, req)
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    assert_eq!(result.expect("fetch succeeds").retries, 2);
    assert_eq!(server.finish().len(), 4);
    assert_eq!(ids_of(&out), vec![1, 2]);
}

#[test]
fn gives_up_after_bounded_attempts_and_keeps_the_old_file() {
    let server = Server::start(|_| reply("500 Internal Server Error", "", "oops"));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    fs::write(&out, "old contents\n").expect("old file");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("fetch fails"));
    assert_eq!(server.finish().len(), MAX_ATTEMPTS as usize);
    assert!(err.contains("giving up after 6 attempts"), "{err}");
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(err.contains(PATH), "{err}");
    assert_eq!(fs::read_to_string(&out).expect("old"), "old contents\n");
    assert_no_partial(&out);
}

#[test]
fn a_session_added_between_pages_appears_once() {
    let data = Arc::new(Mutex::new(dataset((1..=150).map(|n| n * 10))));
    let d = Arc::clone(&data);
    let server = Server::start(move |req| {
        let mut data = d.lock().expect("lock");
        let page = keyset_page(&data, req);
        if req.id_gt().is_none() {
            // Sessions created while the run is going: one after everything, one in the
            // middle of the second page's range.
            data.push((5000, row(5000)));
            data.push((1234, row(1234)));
            data.sort_by_key(|(id, _)| *id);
        }
        page
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let stats = result.expect("fetch succeeds");
    let reqs = server.finish();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[1].id_gt(), Some(1000));
    let ids = ids_of(&out);
    let mut want: Vec<u64> = (1..=150).map(|n| n * 10).collect();
    want.extend([1234, 5000]);
    want.sort_unstable();
    assert_eq!(ids, want);
    assert_eq!(stats.fetched, 152);
}

#[test]
fn a_page_boundary_served_twice_is_an_error_not_a_loop() {
    // This server treats id_gt as "greater or equal": each page repeats the
    // last row, and the last page never comes back empty.
    let data = dataset(1..=250);
    let server = Server::start(move |req| {
        let after = req.id_gt().unwrap_or(0);
        let rows: Vec<String> = data
            .iter()
            .filter(|(id, _)| *id >= after)
            .take(100)
            .map(|(_, r)| r.clone())
            .collect();
        ok(&page_body(250, &rows))
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    fs::write(&out, "old contents\n").expect("old file");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("a repeated id fails"));
    assert_eq!(server.finish().len(), 2);
    assert!(err.contains("session 100 came after session 100"), "{err}");
    assert!(err.contains("ids must strictly increase"), "{err}");
    assert_eq!(fs::read_to_string(&out).expect("old"), "old contents\n");
    assert_no_partial(&out);
}

#[test]
fn rows_out_of_id_order_are_an_error() {
    let server = Server::start(|_| ok(&page_body(3, &[row(1), row(3), row(2)])));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("unsorted rows fail"));
    server.finish();
    assert!(err.contains("session 2 came after session 3"), "{err}");
    assert!(!out.exists());
    assert_no_partial(&out);
}

#[test]
fn refused_token_fails_at_once_naming_the_variable() {
    for status in ["401 Unauthorized", "403 Forbidden"] {
        let server =
            Server::start(move |_| reply(status, "", &format!(r#"{{"detail":"Invalid token {TOKEN}"}}"#)));
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("s.ndjson");
        fs::write(&out, "keep me\n").expect("old file");
        let (result, _) = run_fetch(&test_cfg(&server.base), &out);
        let err = format!("{:#}", result.expect_err("refused token fails"));
        assert_eq!(server.finish().len(), 1, "no retry on {status}");
        assert!(err.contains(TOKEN_ENV), "{err}");
        assert!(err.contains("refused"), "{err}");
        assert_eq!(fs::read_to_string(&out).expect("old"), "keep me\n");
        assert_no_partial(&out);
    }
}

#[test]
fn a_body_that_is_not_a_report_names_the_url() {
    let server = Server::start(|_| ok(r#"{"detail": "Not found", "results": []}"#));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let cfg = test_cfg(&server.base);
    let (result, _) = run_fetch(&cfg, &out);
    let err = format!("{:#}", result.expect_err("not a report"));
    assert_eq!(server.finish().len(), 1, "no retry");
    assert!(err.contains(&cfg.page_url(None)), "{err}");
    assert!(err.contains("no \"rows\" array"), "{err}");
    assert!(!out.exists());
    assert_no_partial(&out);
}

#[test]
fn other_client_errors_fail_at_once_without_echoing_the_token() {
    let server = Server::start(|_| {
        reply(
            "400 Bad Request",
            "",
            &format!("bad filter; your header was Token {TOKEN}"),
        )
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("400 fails"));
    assert_eq!(server.finish().len(), 1);
    assert!(err.contains("HTTP 400: bad filter"), "{err}");
    assert!(err.contains("[token]"), "{err}");
}

#[test]
fn redirects_are_not_followed() {
    let server = Server::start(|_| reply("302 Found", "Location: https://elsewhere.invalid/api\r\n", ""));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("redirect fails"));
    assert_eq!(server.finish().len(), 1);
    assert!(
        err.contains("redirected to https://elsewhere.invalid/api"),
        "{err}"
    );
}

#[test]
fn resume_continues_after_the_last_id() {
    let data = dataset(1..=5);
    let server = Server::start(move |req| keyset_page(&data, req));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    // Old rows are kept byte for byte, even without a final newline.
    let old = "{\"id\":1,\"old\":true}\n{\"id\":2, \"old\":true}\n{\"id\":3,\"hours\":2.50}";
    fs::write(&out, old).expect("old file");
    let mut cfg = test_cfg(&server.base);
    cfg.resume = true;
    let (result, progress) = run_fetch(&cfg, &out);
    let stats = result.expect("resume succeeds");
    let reqs = server.finish();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].id_gt(), Some(3));
    assert_eq!((stats.kept, stats.fetched), (3, 2));
    let text = fs::read_to_string(&out).expect("output");
    assert_eq!(text, format!("{old}\n{}\n{}\n", row(4), row(5)));
    assert!(progress.contains("resuming"), "{progress}");
    assert_no_partial(&out);
}

#[test]
fn resume_without_a_file_starts_from_the_beginning() {
    let data = dataset(1..=2);
    let server = Server::start(move |req| keyset_page(&data, req));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let mut cfg = test_cfg(&server.base);
    cfg.resume = true;
    let (result, _) = run_fetch(&cfg, &out);
    result.expect("resume succeeds");
    let reqs = server.finish();
    assert_eq!(reqs[0].id_gt(), None);
    assert_eq!(ids_of(&out), vec![1, 2]);
}

#[test]
fn resume_rejects_a_file_it_cannot_continue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    fs::write(&out, "{\"id\":1}\n{\"id\":1}\n").expect("old file");
    let mut cfg = test_cfg("http://127.0.0.1:9/api/v2");
    cfg.resume = true;
    let (result, _) = run_fetch(&cfg, &out);
    let err = format!("{:#}", result.expect_err("bad file"));
    assert!(err.contains("s.ndjson:2"), "{err}");
    assert_no_partial(&out);
}

#[test]
fn rows_keep_their_exact_text() {
    // Pretty-printed, keys in TeamUp's order, numbers that f64 or re-serialising would change.
    let body = "{\n  \"total\": 2,\n  \"column_headers\": [],\n  \"rows\": [\n    {\n      \"name\": \"Caf\\u00e9 \\\"A\\\" \\\\ ]\",\n      \"id\": 7,\n      \"hours\": 1.10,\n      \"instructor_pay\": {\"decimal\": 74.25, \"string\": \"\\u00a374.25\"},\n      \"big\": 12345678901234567890.123456789012345,\n      \"e\": 1E2\n    },\n    {\"id\": 8, \"hours\": 0.50, \"instructor_pay\": null}\n  ]\n}\n";
    let server = Server::start(move |req| match req.id_gt() {
        None => ok(body),
        Some(_) => ok(&page_body(2, &[])),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    result.expect("fetch succeeds");
    server.finish();
    let got = lines(&out);
    assert_eq!(
        got,
        vec![
            "{      \"name\": \"Caf\\u00e9 \\\"A\\\" \\\\ ]\",      \"id\": 7,      \"hours\": 1.10,      \"instructor_pay\": {\"decimal\": 74.25, \"string\": \"\\u00a374.25\"},      \"big\": 12345678901234567890.123456789012345,      \"e\": 1E2    }".to_owned(),
            "{\"id\": 8, \"hours\": 0.50, \"instructor_pay\": null}".to_owned(),
        ]
    );
    let first: Value = serde_json::from_str(&got[0]).expect("json");
    assert_eq!(first["hours"].to_string(), "1.10");
    assert_eq!(first["instructor_pay"]["decimal"].to_string(), "74.25");
}

#[test]
fn progress_redraws_in_place_on_a_terminal() {
    let mut buf = Vec::new();
    let mut p = Progress::new(&mut buf, false, true);
    p.page(1, 100, Some(250));
    p.page(2, 200, Some(250));
    p.note("a note");
    p.page(3, 250, Some(250));
    p.finish(250, Some(250));
    assert_eq!(
        String::from_utf8(buf).expect("utf-8"),
        "\rfetched 100 of 250 sessions\rfetched 200 of 250 sessions\na note\n\
         \rfetched 250 of 250 sessions\n"
    );

    let mut buf = Vec::new();
    let mut p = Progress::new(&mut buf, false, false);
    for n in 1..=12 {
        p.page(n, n * 100, None);
    }
    p.finish(1200, None);
    assert_eq!(
        String::from_utf8(buf).expect("utf-8"),
        "fetched 1000 sessions\nfetched 1200 sessions\n"
    );
}

#[test]
fn row_spans_follow_json_structure() {
    let text = r#" { "rows" : "no", "x": {"rows": [1]}, "rows":[ {"a":"]\"}"} , [1,[2]] ,3.50,"s",null ] , "y" : -1 } "#;
    let (spans, repeated) = row_spans(text).expect("spans");
    let parts: Vec<&str> = spans.into_iter().map(|r| &text[r]).collect();
    assert_eq!(
        parts,
        vec![r#"{"a":"]\"}"}"#, "[1,[2]]", "3.50", r#""s""#, "null"]
    );
    assert_eq!(repeated.as_deref(), Some("rows"));
    assert_eq!(row_spans(r#"{"rows":[]}"#).expect("empty"), (vec![], None));
    assert!(row_spans(r#"{"total":1}"#).is_none());
    assert!(row_spans(r#"{"total":1,"rows":[1"#).is_none());
}

#[test]
fn retry_after_is_read_and_capped() {
    let cap = Duration::from_secs(60);
    let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21T07:27:50Z
    assert_eq!(parse_retry_after("3", now, cap), Some(Duration::from_secs(3)));
    assert_eq!(parse_retry_after(" 0 ", now, cap), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("3600", now, cap), Some(cap));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now, cap),
        Some(Duration::from_secs(10))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now, cap),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon", now, cap), None);
}

#[test]
fn backoff_grows_with_jitter_and_is_capped() {
    let mut rng = XorShift(12345);
    let base = Duration::from_millis(100);
    let max = Duration::from_secs(1);
    for attempt in 1..=10 {
        let full = (base * (1 << (attempt - 1))).min(max);
        for _ in 0..50 {
            let d = backoff_delay(base, max, attempt, &mut rng);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }
    let a: Vec<_> = (0..5).map(|_| backoff_delay(base, max, 3, &mut rng)).collect();
    assert!(a.windows(2).any(|w| w[0] != w[1]), "jitter varies: {a:?}");
}

#[test]
fn urls_and_filters() {
    assert_eq!(encode_query_value("a b,c:d/é~_.-"), "a%20b%2Cc%3Ad%2F%C3%A9~_.-");
    assert_eq!(
        check_base_url("https://goteamup.com/api/v2/").expect("ok"),
        "https://goteamup.com/api/v2"
    );
    assert!(check_base_url("http://localhost:8080/api").is_ok());
    assert!(check_base_url("http://[::1]:8080/api").is_ok());
    let err = check_base_url("http://goteamup.com/api/v2").expect_err("clear text");
    assert!(err.to_string().contains("https://"), "{err}");
    assert!(check_base_url("https://user:pw@goteamup.com/api").is_err());
    assert!(check_base_url("https://goteamup.com/api?x=1").is_err());
    assert!(check_base_url("goteamup.com/api").is_err());
    assert!(check_base_url("ftp://goteamup.com").is_err());

    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    assert_eq!(
        date_filters(Some(d("2024-01-01")), Some(d("2024-12-31"))).expect("dates"),
        vec![
            ("starts_at_gte", "2023-12-31T10:00:00Z".to_owned()),
            ("starts_at_lte", "2025-01-01T14:00:00Z".to_owned()),
        ]
    );
    assert!(date_filters(Some(d("2024-02-02")), Some(d("2024-02-01"))).is_err());
    assert!(date_filters(None, None).expect("none").is_empty());

    let cfg = test_cfg("https://goteamup.com/api/v2");
    assert_eq!(
        cfg.page_url(Some(41)),
        "https://goteamup.com/api/v2/reports/instructed_sessions/data\
         ?format=json&page_size=100&sort=id&id_gt=41"
    );
}

#[test]
fn arguments_parse_and_help_is_consistent() {
    Cli::command().debug_assert();
    let cli = Cli::try_parse_from(["fetch", "-o", "x.ndjson"]).expect("defaults");
    assert_eq!(cli.args.base_url, DEFAULT_BASE_URL);
    assert_eq!(cli.args.token_env, "TEAMUP_TOKEN");
    assert!(!cli.args.resume && !cli.args.quiet);
    assert!(Cli::try_parse_from(["fetch"]).is_err(), "-o is required");
    assert!(Cli::try_parse_from(["fetch", "-o", "x", "--from", "2024-13-01"]).is_err());
    assert!(Cli::try_parse_from(["fetch", "-o", "x", "--venues", "1,x"]).is_err());
    assert!(Cli::try_parse_from(["fetch", "-o", "x", "--session-types", "other"]).is_err());
    assert!(Cli::try_parse_from(["fetch", "-o", "x", "--token", "abc"]).is_err());
}

#[test]
fn run_without_the_token_variable_names_it() {
    let var = "SESSIONPAY_TEST_UNSET_TOKEN_3F9A1C";
    assert!(std::env::var_os(var).is_none());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let cli = Cli::try_parse_from([
        "fetch",
        "--token-env",
        var,
        "--base-url",
        "http://127.0.0.1:9/api/v2",
        "-o",
        out.to_str().expect("utf-8"),
    ])
    .expect("arguments");
    let err = format!("{:#}", run(&cli.args).expect_err("no token"));
    assert!(err.contains(var), "{err}");
    assert!(!out.exists());
}

#[test]
fn tokens_that_cannot_be_a_header_are_refused_without_showing_them() {
    let err = check_token("abc def\n", "MY_TOKEN").expect_err("bad token");
    let text = err.to_string();
    assert!(text.contains("MY_TOKEN"), "{text}");
    assert!(!text.contains("abc"), "{text}");
    assert!(check_token(TOKEN, "MY_TOKEN").is_ok());
}

/// Serves `data` in pages of at most `cap` rows whatever `page_size` asks.
fn capped_page(data: &[(u64, String)], req: &Req, cap: usize) -> Vec<u8> {
    let after = req.id_gt().unwrap_or(0);
    let rows: Vec<String> = data
        .iter()
        .filter(|(id, _)| *id > after)
        .take(cap)
        .map(|(_, r)| r.clone())
        .collect();
    ok(&page_body(data.len(), &rows))
}

#[test]
fn pages_shorter_than_asked_for_do_not_end_the_report() {
    let data = dataset(1..=230);
    let mut calls = 0;
    let server = Server::start(move |req| {
        calls += 1;
        // Pages of 50, and one page cut to 7 rows.
        capped_page(&data, req, if calls == 3 { 7 } else { 50 })
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let stats = result.expect("fetch succeeds");
    let reqs = server.finish();
    assert_eq!(ids_of(&out), (1..=230).collect::<Vec<_>>());
    assert_eq!(stats.fetched, 230);
    assert_eq!(reqs.last().and_then(Req::id_gt), Some(230));
}

#[test]
fn an_empty_page_before_the_total_is_an_error_and_keeps_the_old_file() {
    let data = dataset(1..=250);
    let server = Server::start(move |req| match req.id_gt() {
        Some(100) => ok(&page_body(250, &[])),
        _ => keyset_page(&data, req),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    fs::write(&out, "old contents\n").expect("old file");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("short report fails"));
    assert_eq!(server.finish().len(), 2);
    assert!(
        err.contains("the report ended after 100 sessions, but states a total of 250 (150 missing)"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&out).expect("old"), "old contents\n");
    assert_no_partial(&out);
}

#[test]
fn more_rows_than_the_total_is_an_error() {
    let data = dataset(1..=120);
    let server = Server::start(move |req| {
        let page = keyset_page(&data, req);
        let text = String::from_utf8(page).expect("utf-8");
        text.replace("\"total\":120", "\"total\":110").into_bytes()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("too many rows"));
    server.finish();
    assert!(
        err.contains("states a total of 110 (10 more than it counts)"),
        "{err}"
    );
    assert!(!out.exists());
    assert_no_partial(&out);
}

#[test]
fn a_report_that_never_ends_stops_at_its_total_and_a_margin() {
    // Every page brings 100 new ids and says there are 150 in all.
    let server = Server::start(move |req| {
        let after = req.id_gt().unwrap_or(0);
        let rows: Vec<String> = (after + 1..=after + 100).map(row).collect();
        ok(&page_body(150, &rows))
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("endless report fails"));
    let reqs = server.finish();
    assert_eq!(reqs.len(), 3, "150 + a page of 100 is the bound");
    assert!(
        err.contains("the report goes on past its total: it stated 150 sessions, but 300 have come"),
        "{err}"
    );
    assert!(err.contains("the most allowed is 250"), "{err}");
    assert!(!out.exists());
    assert_no_partial(&out);
}

#[test]
fn a_page_without_a_total_is_not_a_report() {
    let server = Server::start(|_| ok(&format!(r#"{{"rows":[{}]}}"#, row(1))));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("no total"));
    server.finish();
    assert!(err.contains("no whole-number \"total\""), "{err}");
    assert_no_partial(&out);
}

#[test]
fn the_token_is_masked_in_every_form_a_server_may_echo() {
    use base64::Engine as _;
    let token = "Ab+/c=9x";
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let url_b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let forms = [
        token.to_owned(),
        token.to_ascii_uppercase(),
        token.to_ascii_lowercase(),
        "Ab%2B%2Fc%3D9x".to_owned(),
        "ab%2b%2fc%3d9x".to_owned(),
        b64(&format!("Token {token}")),
        url_b64(&format!("Token {token}")),
        b64(token),
    ];
    let echoed = format!("seen: {}", forms.join(" | "));
    let masked = redact(&echoed, token);
    for form in &forms {
        assert!(!masked.contains(form.as_str()), "{form} in {masked}");
    }
    assert_eq!(masked.matches("[token]").count(), forms.len(), "{masked}");
    assert!(masked.starts_with("seen: [token] | "), "{masked}");
    // Text around a match, non-ASCII included, is kept.
    assert_eq!(redact("é AB+/C=9X ü", token), "é [token] ü");

    // Through a real run: a 400 body echoing every form.
    let body = echoed.clone();
    let server = Server::start(move |_| reply("400 Bad Request", "", &body));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let mut progress = Vec::new();
    let err = fetch_to_file(&test_cfg(&server.base), token, &out, &mut progress).expect_err("400 fails");
    server.finish();
    let text = format!("{err:#}");
    for form in &forms {
        assert!(!text.contains(form.as_str()), "{form} in {text}");
    }
    assert!(text.contains("HTTP 400: seen: [token]"), "{text}");
}

#[cfg(unix)]
#[test]
fn the_partial_file_is_created_afresh_never_through_a_planted_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let partial = partial_path(&out).expect("partial path");
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "precious\n").expect("victim");
    std::os::unix::fs::symlink(&victim, &partial).expect("plant a link");
    let (mut file, guard) = create_partial(&partial, false).expect("created");
    file.write_all(b"rows\n").expect("write");
    assert!(
        fs::symlink_metadata(&partial).expect("meta").is_file(),
        "a file, not the link"
    );
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious\n");
    // The mode of any new file here: the umask applies, not a fixed mode.
    let reference = dir.path().join("reference");
    fs::File::create(&reference).expect("reference file");
    let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&partial), mode(&reference));
    drop(guard);
    assert!(!partial.exists(), "a run that did not finish removes it");
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious\n");
}

#[test]
fn resume_continues_from_a_partial_file_an_interrupted_resume_left() {
    let data = dataset(1..=6);
    let server = Server::start(move |req| keyset_page(&data, req));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    fs::write(&out, format!("{}\n", row(1))).expect("old file");
    // The interrupted run had fetched 2 and 3, and was cut in the middle of 4.
    let partial = partial_path(&out).expect("partial path");
    fs::write(
        &partial,
        format!("{}\n{}\n{}\n{{\"id\":4,\"na", row(1), row(2), row(3)),
    )
    .expect("partial");
    let mut cfg = test_cfg(&server.base);
    cfg.resume = true;
    let (result, progress) = run_fetch(&cfg, &out);
    let stats = result.expect("resume succeeds");
    let reqs = server.finish();
    assert_eq!(reqs[0].id_gt(), Some(3));
    assert_eq!((stats.kept, stats.fetched), (3, 3));
    assert_eq!(ids_of(&out), (1..=6).collect::<Vec<_>>());
    assert!(
        progress.contains("s.ndjson.partial after session 3"),
        "{progress}"
    );
    assert_no_partial(&out);
}

#[test]
fn a_page_with_a_top_level_key_twice_is_not_a_report() {
    let body = format!(r#"{{"total":1,"rows":[{}],"total":2}}"#, row(1));
    let server = Server::start(move |_| ok(&body));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = format!("{:#}", result.expect_err("a key twice"));
    assert_eq!(server.finish().len(), 1, "no retry");
    assert!(
        err.contains("the key \"total\" appears twice at the top level"),
        "{err}"
    );
    assert_no_partial(&out);
}

#[test]
fn save_columns_writes_the_reports_column_headers_for_columns_from() {
    let data = dataset(1..=3);
    let d = data.clone();
    let server = Server::start(move |req| keyset_page(&d, req));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sessions.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let stats = result.expect("fetch succeeds");
    server.finish();
    let headers = stats.column_headers.expect("the pages carry column_headers");
    let saved = dir.path().join("columns.json");
    save_columns(&saved, Some(&headers)).expect("saved");
    let text = fs::read_to_string(&saved).expect("columns file");
    let value: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value["column_headers"][0]["label"], "Id");
    assert_eq!(value["column_headers"][0]["key"], "id");
    // What --columns-from reads.
    sessionpay_io::ColumnMap::from_report_file(&saved).expect("readable by --columns-from");
    let err = save_columns(&dir.path().join("none.json"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the report sent no column_headers: nothing to save for --save-columns"
    );
    assert!(!dir.path().join("none.json").exists());
}
