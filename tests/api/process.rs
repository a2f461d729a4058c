//! The real binary as an operator runs it: `LOG_FORMAT=json` prints one JSON object per line,
//! and SIGTERM lets an in-flight request finish while new connections are refused.

use crate::faults;
use crate::helpers::*;
use signin::dev_provider;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_format_json_prints_json_lines() {
    let env = [("LOG_FORMAT", "json".into())];
    let mut bin = RunningBinary::start(&["serve", "--dev"], &env, Capture::StdoutLines, None).await;
    let r = reqwest::get(format!("{}/login", bin.address))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // A refused request is logged inside its request span.
    let r = reqwest::get(format!("{}/no-such-page", bin.address))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Give the request's log line a moment to be written, then stop and collect everything.
    tokio::time::sleep(Duration::from_millis(200)).await;
    bin.signal("TERM");
    assert!(
        bin.wait_exit(Duration::from_secs(10)).is_some(),
        "the binary did not stop"
    );
    let rx = bin.lines.take().unwrap();
    let lines: Vec<String> = rx.try_iter().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.len() >= 2,
        "expected several log lines, got {lines:?}"
    );
    let mut messages = Vec::new();
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(v["timestamp"].is_string(), "{line}");
        assert!(v["level"].is_string(), "{line}");
        messages.push(v["message"].as_str().unwrap_or_default().to_string());
    }
    assert!(messages.iter().any(|m| m == "listening"), "{lines:?}");
    // The refusal was logged with its request's span (path and request id) as JSON fields.
    let refused = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["message"] == "request refused")
        .unwrap_or_else(|| panic!("no `request refused` line in {lines:#?}"));
    let span = refused["span"].to_string();
    assert!(span.contains("/no-such-page"), "{refused}");
    assert!(span.contains("request_id"), "{refused}");
    assert!(!lines.iter().any(|l| l.contains(SECRET_KEY)));
}

/// The binary (JSON logs captured, `SHUTDOWN_TIMEOUT` as given) with a sign-in consented at
/// its provider, whose token endpoint now answers after `token_delay`: a GET of the returned
/// callback URL stays in flight that long.
async fn token_endpoint_stalled(
    shutdown_timeout: &str,
    token_delay: Duration,
) -> (
    RunningBinary,
    dev_provider::RunningProvider,
    Browser,
    String,
) {
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let (provider, provider_url) = spawn_provider(&address);
    let mut env = provider_env(&provider_url);
    env.push(("SHUTDOWN_TIMEOUT", shutdown_timeout.into()));
    env.push(("HTTP_TIMEOUT", "10s".into()));
    env.push(("LOG_FORMAT", "json".into()));
    let bin = RunningBinary::start(&["serve"], &env, Capture::StdoutLines, Some(port)).await;
    assert_eq!(bin.port, port);
    let browser = Browser::new(&address);
    let callback = browser.consented("ada@example.com", "Ada Lovelace").await;
    let faults = faults!(token_delay: Some(token_delay));
    provider.provider.set_faults(faults);
    (bin, provider, browser, callback)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_and_refuses_new_connections() {
    // The callback will wait on the provider's token endpoint for 2 s: an in-flight request.
    let delay = Duration::from_secs(2);
    let (mut bin, provider, browser, callback) = token_endpoint_stalled("20s", delay).await;
    let in_flight = {
        let browser = browser.clone();
        tokio::spawn(async move {
            let t0 = Instant::now();
            let r = browser.get(&callback).await;
            (
                r.status().as_u16(),
                location(&r),
                r.headers().get("set-cookie").is_some(),
                t0.elapsed(),
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !in_flight.is_finished(),
        "the request should still be in flight"
    );
    bin.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // New connections are refused while the in-flight request is still being answered.
    assert!(
        !in_flight.is_finished(),
        "the in-flight request ended too early"
    );
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let r = fresh.get(format!("{}/healthz", bin.address)).send().await;
    assert!(
        r.is_err(),
        "a new connection was served after SIGTERM: {:?}",
        r.map(|r| r.status())
    );
    assert!(
        bin.child.try_wait().unwrap().is_none(),
        "the process quit before finishing its work"
    );

    let (status, to, cookie, took) = in_flight.await.unwrap();
    assert_eq!(status, 303, "the in-flight sign-in completed normally");
    assert_eq!(to, "/");
    assert!(cookie, "with its session cookie");
    assert!(took >= delay);
    let exit = bin
        .wait_exit(Duration::from_secs(10))
        .expect("the binary exits after draining");
    assert!(exit.success(), "exit status {exit:?}");
    // As it stops, the service says how many requests it dropped before their answer.
    assert_eq!(stop_line(&mut bin)["abandoned"], 0);
    provider.handle.stop(false).await;
}

/// The `stopped` line the binary logs (JSON) as it exits.
fn stop_line(bin: &mut RunningBinary) -> serde_json::Value {
    let rx = bin.lines.take().expect("stdout captured");
    // Until the pipe closes: the process has exited, so this ends.
    let lines: Vec<String> = rx.iter().collect();
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("stopped"))
        })
        .unwrap_or_else(|| panic!("no `stopped` line in {lines:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_cut_by_the_shutdown_timeout_is_counted_as_abandoned() {
    // The token endpoint answers after 6 s: longer than the 1 s the shutdown may wait.
    let (mut bin, provider, browser, callback) =
        token_endpoint_stalled("1s", Duration::from_secs(6)).await;
    let in_flight = {
        let browser = browser.clone();
        tokio::spawn(async move { browser.client.get(browser.url(&callback)).send().await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    bin.signal("TERM");
    let exit = bin
        .wait_exit(Duration::from_secs(10))
        .expect("the binary exits after its shutdown timeout");
    assert!(exit.success(), "exit status {exit:?}");
    assert!(
        in_flight.await.unwrap().is_err(),
        "the cut request got an answer"
    );
    let line = stop_line(&mut bin);
    assert_eq!(line["abandoned"], 1, "{line}");
    assert_eq!(line["level"], "WARN", "{line}");
    provider.handle.stop(false).await;
}
