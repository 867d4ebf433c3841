//! Tests of a fetch against a scripted HTTP/1.1 stand-in of the report endpoint on
//! 127.0.0.1. Nothing here contacts any other address.

use super::*;
use crate::options::Plan;
use crate::SessionType;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use std::time::Instant;

const TOKEN: &str = "s3cret-T0ken-9f8e7d";
const TOKEN_ENV: &str = "SESSIONPAY_TEST_TOKEN";
const PATH: &str = "/api/v2/reports/instructed_sessions/data";

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

fn test_cfg(base: &str) -> FetchOptions {
    let mut cfg = FetchOptions::new(base);
    cfg.backoff_base = Duration::from_millis(1);
    cfg.max_backoff = Duration::from_millis(5);
    cfg
}

fn token() -> Token {
    Token::new(TOKEN, TOKEN_ENV).expect("token")
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

/// Runs a fetch, returning its result and its events, one per line.
fn run_fetch(cfg: &FetchOptions, out: &Path) -> (Result<FetchStats>, String) {
    let mut progress = String::new();
    let result = fetch_to_file(cfg, &token(), out, &mut |event: Event<'_>| {
        progress.push_str(&format!("{event:?}\n"));
    });
    assert!(!progress.contains(TOKEN), "token in progress: {progress}");
    if let Err(e) = &result {
        assert!(
            !e.chain_text().contains(TOKEN),
            "token in error: {}",
            e.chain_text()
        );
    }
    (result, progress)
}

/// An error as the user sees it, its sources included.
fn text(result: Result<FetchStats>, what: &str) -> String {
    result.expect_err(what).chain_text()
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
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let mut cfg = test_cfg(&format!("{}/", server.base));
    cfg.provider_id = Some(42);
    cfg.from = Some(d("2024-03-01"));
    cfg.to = Some(d("2024-03-31"));
    cfg.venues = vec![7, 8];
    cfg.instructors = vec![5];
    cfg.pay_rates = vec![17, 18];
    cfg.session_types = vec![SessionType::Class, SessionType::CourseSession];

    let (result, progress) = run_fetch(&cfg, &out);
    let stats = result.expect("fetch succeeds");
    let reqs = server.finish();

    // The third page is short, but only the empty fourth one ends the report.
    assert_eq!(stats.pages, 4);
    assert_eq!(stats.fetched, 250);
    assert_eq!(stats.total, Some(250));
    assert_eq!(stats.retries, 0);
    assert_eq!(reqs.len(), 4);
    let expected_after = [None, Some(100), Some(200), Some(250)];
    let plan = Plan::new(&cfg).expect("plan");
    for (req, after) in reqs.iter().zip(expected_after) {
        // Messages show each URL exactly as it was sent.
        let shown = plan.shown_url(after);
        assert_eq!(
            shown.split_once('?').map(|(_, q)| q),
            Some(req.raw_query.as_str())
        );
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
    assert!(
        progress.contains("Finished { fetched: 250, total: Some(250) }"),
        "{progress}"
    );
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
    assert!(progress.contains("Retrying"), "{progress}");
}

#[test]
fn a_body_cut_on_a_kept_alive_connection_is_retried_at_once() {
    let data = dataset(1..=120);
    let mut calls = 0;
    let server = Server::start(move |req| {
        calls += 1;
        let full = keyset_page(&data, req);
        if calls == 2 {
            // A kept-alive reply (no Connection: close) whose connection is
            // dropped a few bytes into its body.
            let text = String::from_utf8(full).expect("utf-8");
            let kept_alive = text.replacen("Connection: close\r\n", "Connection: keep-alive\r\n", 1);
            let head_end = kept_alive.find("\r\n\r\n").expect("head") + 4;
            kept_alive.as_bytes()[..head_end + 10].to_vec()
        } else {
            full
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let mut cfg = test_cfg(&server.base);
    // A backoff that a prompt retry does not wait for.
    cfg.backoff_base = Duration::from_secs(30);
    cfg.max_backoff = Duration::from_secs(30);
    let mut delays = Vec::new();
    let mut reasons = Vec::new();
    let result = fetch_to_file(&cfg, &token(), &out, &mut |event: Event<'_>| {
        if let Event::Retrying { delay, reason, .. } = event {
            delays.push(delay);
            reasons.push(reason.to_owned());
        }
    });
    result.expect("fetch succeeds after the cut");
    assert_eq!(delays, [Duration::ZERO], "{reasons:?}");
    assert_eq!(server.finish().len(), 4);
    assert_eq!(ids_of(&out), (1..=120).collect::<Vec<_>>());
    // The warning names the path, not the query (nor, of course, the token).
    assert_eq!(
        reasons[0].split(':').next(),
        Some("/api/v2/reports/instructed_sessions/data"),
        "{reasons:?}"
    );
    assert!(
        !reasons[0].contains("id_gt") && !reasons[0].contains('?'),
        "{reasons:?}"
    );
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
    let err = text(result, "fetch fails");
    assert_eq!(server.finish().len(), 6);
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
    let err = text(result, "a repeated id fails");
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
    let err = text(result, "unsorted rows fail");
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
        let err = text(result, "refused token fails");
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
    let err = text(result, "not a report");
    assert_eq!(server.finish().len(), 1, "no retry");
    assert!(
        err.contains(&Plan::new(&cfg).expect("plan").shown_url(None)),
        "{err}"
    );
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
    let err = text(result, "400 fails");
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
    let err = text(result, "redirect fails");
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
    assert!(progress.contains("Resuming"), "{progress}");
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
    let err = text(result, "bad file");
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
    // The pages' column_headers are kept, for --save-columns.
    let headers = stats.column_headers.expect("the pages carry column_headers");
    assert_eq!(headers[0]["label"], "Id");
    assert_eq!(headers[0]["key"], "id");
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
    let err = text(result, "short report fails");
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
    let err = text(result, "too many rows");
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
    let err = text(result, "endless report fails");
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
    let err = text(result, "no total");
    server.finish();
    assert!(err.contains("no whole-number \"total\""), "{err}");
    assert_no_partial(&out);
}

#[test]
fn the_token_is_masked_in_every_form_a_server_may_echo() {
    use base64::Engine as _;
    let token = Token::new("Ab+/c=9x", TOKEN_ENV).expect("token");
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let forms = [
        "AB+/C=9X".to_owned(),
        "ab%2b%2fc%3d9x".to_owned(),
        b64("Token Ab+/c=9x"),
    ];
    let echoed = format!("seen: {}", forms.join(" | "));
    // Through a real run: a 400 body echoing the forms.
    let body = echoed.clone();
    let server = Server::start(move |_| reply("400 Bad Request", "", &body));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let err =
        fetch_to_file(&test_cfg(&server.base), &token, &out, &mut |_: Event<'_>| {}).expect_err("400 fails");
    server.finish();
    let text = err.chain_text();
    for form in &forms {
        assert!(!text.contains(form.as_str()), "{form} in {text}");
    }
    assert!(text.contains("HTTP 400: seen: [token]"), "{text}");
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
        progress.contains("s.ndjson.partial\", after: 3, kept: 3 }"),
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
    let err = text(result, "a key twice");
    assert_eq!(server.finish().len(), 1, "no retry");
    assert!(
        err.contains("the key \"total\" appears twice at the top level"),
        "{err}"
    );
    assert_no_partial(&out);
}

#[test]
fn a_total_that_counts_the_rows_still_to_come_is_read_as_such() {
    // A server that counts what matches the request, id_gt included: the
    // last (empty) page says 0, and each page says what is left.
    let data = dataset(1..=230);
    let server = Server::start(move |req| {
        let after = req.id_gt().unwrap_or(0);
        let left: Vec<&(u64, String)> = data.iter().filter(|(id, _)| *id > after).collect();
        let rows: Vec<String> = left.iter().take(100).map(|(_, r)| r.clone()).collect();
        ok(&page_body(left.len(), &rows))
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let stats = result.expect("fetch succeeds");
    assert_eq!(server.finish().len(), 4);
    assert_eq!(ids_of(&out), (1..=230).collect::<Vec<_>>());
    assert_eq!(stats.total, Some(230));
}

#[test]
fn pages_that_fit_neither_reading_of_total_are_an_error() {
    // The second page says fewer are left than the first page's count less
    // its rows (and fewer in all than the first page said): rows were lost.
    let data = dataset(1..=150);
    let server = Server::start(move |req| {
        let total = match req.id_gt() {
            None => 150,
            Some(100) => 20,
            Some(_) => 0,
        };
        let after = req.id_gt().unwrap_or(0);
        let rows: Vec<String> = data
            .iter()
            .filter(|(id, _)| *id > after)
            .take(100)
            .map(|(_, r)| r.clone())
            .collect();
        ok(&page_body(total, &rows))
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    fs::write(&out, "old contents\n").expect("old file");
    let (result, _) = run_fetch(&test_cfg(&server.base), &out);
    let err = text(result, "inconsistent totals fail");
    server.finish();
    assert!(
        err.contains("page 2 stated a total of 20 after a total of 150"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&out).expect("old"), "old contents\n");
    assert_no_partial(&out);
}

#[test]
fn saved_column_headers_are_what_columns_from_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("columns.json");
    let headers = serde_json::json!([{"label": "Id", "key": "id", "sortable": true}]);
    let stats = FetchStats {
        column_headers: Some(headers),
        ..FetchStats::default()
    };
    stats.save_column_headers(&saved).expect("saved");
    let text = std::fs::read_to_string(&saved).expect("columns file");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value["column_headers"][0]["label"], "Id");
    assert_eq!(value["column_headers"][0]["key"], "id");
    sessionpay_io::ColumnMap::from_report_file(&saved).expect("readable by --columns-from");
    let err = FetchStats::default()
        .save_column_headers(&dir.path().join("none.json"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the report sent no column_headers: nothing to save for --save-columns"
    );
    assert!(!dir.path().join("none.json").exists());
}
