//! The real-browser test: headless Debian Chromium over chromedriver (fantoccini) against the
//! real binary `serve --dev` (dev provider on the same origin). A person signs in, stays signed
//! in across a reload, creates an API token and uses it, signs out; an admin in a second
//! browser context disables them and their browser is signed out on its next page. Every page
//! is screenshotted into `target/e2e/`; any console error or failed request fails the test.
//!
//! Skipped with a message when /usr/bin/chromedriver is missing, unless `REQUIRE_BROWSER=1`.

use crate::helpers::{Capture, RunningBinary, free_port, plain_client};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const USER_EMAIL: &str = "ada@example.com";
const USER_NAME: &str = "Ada Lovelace";
const ADMIN_EMAIL: &str = "root@example.com";
const ADMIN_NAME: &str = "Grace Admin";

pub(crate) type R<T = ()> = Result<T, String>;

pub(crate) fn err<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// chromedriver on a free port; killed when dropped (also when the test fails).
pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub(crate) async fn start() -> Self {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let t0 = Instant::now();
        loop {
            if let Ok(r) = reqwest::get(format!("{}/status", driver.url)).await
                && r.status().is_success()
            {
                return driver;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One browser context: its own Chromium with a fresh profile directory.
pub(crate) struct Context {
    name: &'static str,
    pub(crate) client: Client,
    pub(crate) driver_url: String,
    base: String,
    shots: PathBuf,
}

static SHOT: AtomicUsize = AtomicUsize::new(0);

impl Context {
    /// The context and its profile directory (kept by the caller until the browser is closed).
    pub(crate) async fn open(
        name: &'static str,
        driver: &Driver,
        base: &str,
        shots: &Path,
    ) -> (Self, tempfile::TempDir) {
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-sync", "--window-size=1200,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a Chromium session");
        let me = Self {
            name,
            client,
            driver_url: driver.url.clone(),
            base: base.to_string(),
            shots: shots.to_path_buf(),
        };
        (me, profile)
    }

    pub(crate) async fn goto(&self, path: &str) -> R {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .map_err(err("goto"))
    }

    pub(crate) async fn click(&self, what: &str, locator: Locator<'_>) -> R {
        let el = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(locator)
            .await
            .map_err(|e| format!("{}: cannot find {what}: {e}", self.name))?;
        el.click()
            .await
            .map_err(|e| format!("{}: cannot click {what}: {e}", self.name))
    }

    pub(crate) async fn fill(&self, css: &str, text: &str) -> R {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .map_err(err("find field"))?;
        el.clear().await.map_err(err("clear"))?;
        el.send_keys(text).await.map_err(err("type"))
    }

    pub(crate) async fn wait_for(&self, what: &str, css: &str) -> R<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("{}: waited for {what} ({css}): {e}", self.name))
    }

    pub(crate) async fn text(&self) -> R<String> {
        let body = self
            .client
            .find(Locator::Css("body"))
            .await
            .map_err(err("body"))?;
        body.text().await.map_err(err("body text"))
    }

    pub(crate) async fn path(&self) -> R<String> {
        let u = self.client.current_url().await.map_err(err("url"))?;
        Ok(u.path().to_string())
    }

    /// Screenshot into `target/e2e/`, then fail on any console error or failed request so far.
    async fn checkpoint(&self, label: &str) -> R {
        let n = SHOT.fetch_add(1, Ordering::SeqCst) + 1;
        let png = self.client.screenshot().await.map_err(err("screenshot"))?;
        let file = self.shots.join(format!("{n:02}-{}-{label}.png", self.name));
        std::fs::write(&file, png).map_err(err("write screenshot"))?;
        self.check_page(label).await
    }

    pub(crate) async fn check_page(&self, label: &str) -> R {
        // Page state and every resource's outcome, read through WebDriver (our pages carry no
        // script of their own, and CSP forbids inline script: nothing is injected into them).
        let state = self
            .client
            .execute(
                "const bad = performance.getEntriesByType('resource')
                    .concat(performance.getEntriesByType('navigation'))
                    .filter(e => e.responseStatus >= 400 || (e.responseStatus === 0 && e.transferSize === 0 && e.decodedBodySize === 0 && e.entryType === 'resource' && !e.name.startsWith('data:')))
                    .map(e => e.name + ' -> ' + e.responseStatus);
                 return { ready: document.readyState, bad: bad };",
                vec![],
            )
            .await
            .map_err(err("execute"))?;
        if state["ready"] != "complete" {
            return Err(format!(
                "{}/{label}: document not loaded: {state}",
                self.name
            ));
        }
        if state["bad"].as_array().is_some_and(|a| !a.is_empty()) {
            return Err(format!(
                "{}/{label}: failed requests: {}",
                self.name, state["bad"]
            ));
        }
        let errors: Vec<Value> = self
            .browser_log()
            .await?
            .into_iter()
            .filter(|e| e["level"] == "SEVERE" || e["level"] == "ERROR")
            .collect();
        if !errors.is_empty() {
            return Err(format!("{}/{label}: console errors: {errors:?}", self.name));
        }
        Ok(())
    }

    /// One chromedriver extension command (`POST /session/{id}/{command}`) on this session.
    pub(crate) async fn driver_command(&self, command: &str, body: Value) -> R<reqwest::Response> {
        let id = self
            .client
            .session_id()
            .await
            .map_err(err("session id"))?
            .ok_or("no session id")?;
        reqwest::Client::new()
            .post(format!("{}/session/{id}/{command}", self.driver_url))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("{command}: {e}"))
    }

    /// Chrome's console log since the last call (chromedriver's `se/log` extension command).
    pub(crate) async fn browser_log(&self) -> R<Vec<Value>> {
        let r = self
            .driver_command("se/log", json!({ "type": "browser" }))
            .await?;
        let v: Value = r.json().await.map_err(err("se/log body"))?;
        v["value"]
            .as_array()
            .cloned()
            .ok_or_else(|| format!("the browser log is not retrievable: {v}"))
    }

    /// From any page with the sign-in button, through the dev provider's form, to home.
    async fn sign_in(&self, email: &str, name: &str, label: &str) -> R {
        self.click(
            "the Sign in with Google button",
            Locator::XPath("//button[contains(., 'Sign in with Google')]"),
        )
        .await?;
        self.wait_for("the dev provider's form", "#email").await?;
        self.checkpoint(&format!("{label}-provider")).await?;
        self.approve_as(email, name).await
    }

    /// On the dev provider's form: another person's email and name, Continue, and home.
    pub(crate) async fn approve_as(&self, email: &str, name: &str) -> R {
        self.approve_then(email, name, "the profile", "section.profile")
            .await
    }

    /// On the dev provider's form: the email and name, Continue; then waits for `css`, the page
    /// the provider sends back to (`what`).
    pub(crate) async fn approve_then(&self, email: &str, name: &str, what: &str, css: &str) -> R {
        self.fill("#email", email).await?;
        self.fill("#name", name).await?;
        self.click(
            "Continue",
            Locator::Css("form:not(.people) button[value='approve']"),
        )
        .await?;
        self.wait_for(what, css).await?;
        Ok(())
    }
}

impl Context {
    /// The page names the user (`what` on failure); then a checkpoint `label`.
    async fn shows_the_user(&self, what: &str, label: &str) -> R {
        contains_all(&self.text().await?, &[USER_NAME, USER_EMAIL], what)?;
        self.checkpoint(label).await
    }
}

fn contains_all(text: &str, parts: &[&str], what: &str) -> R {
    for p in parts {
        if !text.contains(p) {
            return Err(format!("{what}: `{p}` not in the page:\n{text}"));
        }
    }
    Ok(())
}

/// `GET {base}/api/me` with this bearer token and no cookie: the answer (`what` on failure).
async fn api_me(base: &str, token: &str, what: &'static str) -> R<reqwest::Response> {
    reqwest::Client::new()
        .get(format!("{base}/api/me"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(err(what))
}

async fn user_journey(user: &Context, base: &str) -> R {
    user.goto("/").await?;
    user.wait_for("the sign-in page", "button.google-button")
        .await?;
    user.checkpoint("sign-in-page").await?;

    user.sign_in(USER_EMAIL, USER_NAME, "first").await?;
    user.shows_the_user("home after sign-in", "home").await?;

    user.client.refresh().await.map_err(err("reload"))?;
    user.wait_for("the profile after a reload", "section.profile")
        .await?;
    user.shows_the_user("home after reload", "home-reloaded")
        .await?;

    user.fill("input#token-name", "browser walk").await?;
    user.click(
        "Create API token",
        Locator::XPath("//button[normalize-space()='Create API token']"),
    )
    .await?;
    let area = user.wait_for("the token", "textarea#token").await?;
    let token = area
        .prop("value")
        .await
        .map_err(err("token value"))?
        .unwrap_or_default();
    if token.split('.').count() != 3 {
        return Err(format!("the token page shows no JWT: {token:?}"));
    }
    user.checkpoint("api-token").await?;
    let r = api_me(base, token.trim(), "/api/me").await?;
    if r.status().as_u16() != 200 {
        return Err(format!("/api/me with the token: {}", r.status()));
    }
    let me: Value = r.json().await.map_err(err("/api/me json"))?;
    if me["email"] != USER_EMAIL || me["name"] != USER_NAME || me["session"]["via"] != "bearer" {
        return Err(format!("/api/me answered {me}"));
    }

    // The account page, opened from the header: the token is listed by name; revoke it.
    user.goto("/").await?;
    user.click(
        "the account link",
        Locator::Css("header a[href='/account']"),
    )
    .await?;
    user.wait_for("the token on the account page", "td.token-name")
        .await?;
    contains_all(
        &user.text().await?,
        &["browser walk", "this session"],
        "account page",
    )?;
    user.checkpoint("account").await?;
    user.click("Revoke the token", Locator::Css("button#revoke-token-1"))
        .await?;
    user.wait_for(
        "the account page again",
        "form[action='/account/sign-out-others']",
    )
    .await?;
    if user.text().await?.contains("browser walk") {
        return Err("the revoked token is still listed".into());
    }
    let r = api_me(base, token.trim(), "/api/me after revoking").await?;
    if r.status().as_u16() != 401 {
        return Err(format!("/api/me with the revoked token: {}", r.status()));
    }
    user.checkpoint("token-revoked").await?;

    user.goto("/").await?;
    user.click(
        "Sign out",
        Locator::XPath("//main//form[@action='/logout']//button"),
    )
    .await?;
    user.wait_for("the sign-in page after signing out", "button.google-button")
        .await?;
    if user.text().await?.contains(USER_EMAIL) {
        return Err("still showing the profile after signing out".into());
    }
    user.checkpoint("signed-out").await?;
    Ok(())
}

async fn admin_journey(user: &Context, admin: &Context) -> R {
    // The person signs in again: this is the browser the admin will sign out.
    user.goto("/").await?;
    user.sign_in(USER_EMAIL, USER_NAME, "again").await?;
    user.checkpoint("home-again").await?;

    admin.goto("/").await?;
    admin.sign_in(ADMIN_EMAIL, ADMIN_NAME, "admin").await?;
    admin.checkpoint("admin-home").await?;

    admin.goto(&format!("/admin/users?q={}", "ada")).await?;
    admin.wait_for("the user list", "main").await?;
    admin.checkpoint("admin-search").await?;
    contains_all(&admin.text().await?, &[USER_EMAIL], "the search result")?;
    admin
        .click(
            "the user in the list",
            Locator::XPath(&format!(
                "//main//a[contains(@href, '/admin/users/') and (contains(., '{USER_EMAIL}') or contains(., '{USER_NAME}'))]"
            )),
        )
        .await?;
    admin.wait_for("the user's page", "main").await?;
    contains_all(&admin.text().await?, &[USER_EMAIL], "the user's page")?;
    admin.checkpoint("admin-user").await?;

    admin
        .click(
            "Disable",
            Locator::XPath(
                "//form[substring(@action, string-length(@action) - string-length('/disable') + 1) = '/disable']//button \
                 | //button[normalize-space()='Disable']",
            ),
        )
        .await?;
    // A confirmation step, if the admin pages have one.
    if admin.path().await?.ends_with("/disable")
        && let Ok(b) = admin
            .client
            .find(Locator::XPath(
                "//main//form//button[@type='submit' or not(@type)]",
            ))
            .await
    {
        b.click().await.map_err(err("confirm"))?;
    }
    admin.wait_for("the page after disabling", "main").await?;
    if !admin.text().await?.to_lowercase().contains("disabled") {
        return Err(format!(
            "the admin page does not say the user is disabled:\n{}",
            admin.text().await?
        ));
    }
    admin.checkpoint("admin-disabled").await?;

    // The person's next page: signed out (the session check's cache lives at most 500 ms).
    let t0 = Instant::now();
    loop {
        user.goto("/").await?;
        let page = user.text().await?;
        if !page.contains(USER_EMAIL)
            && user
                .client
                .find(Locator::Css("button.google-button"))
                .await
                .is_ok()
        {
            break;
        }
        if t0.elapsed() > Duration::from_secs(2) {
            return Err(format!("the disabled user is still signed in:\n{page}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    user.checkpoint("signed-out-by-admin").await?;
    Ok(())
}

/// How a browser test starts: `None` (with a message) when chromedriver is missing and
/// `REQUIRE_BROWSER` is not 1; otherwise the `serve --dev` binary with `admin_email` in
/// `ADMIN_EMAILS`, and the folder for failure screenshots.
pub(crate) async fn browser_app(what: &str, admin_email: &str) -> Option<(RunningBinary, PathBuf)> {
    browser_app_with(what, &[("ADMIN_EMAILS", admin_email.into())]).await
}

/// `browser_app` with this environment for the binary.
pub(crate) async fn browser_app_with(
    what: &str,
    env: &[(&'static str, String)],
) -> Option<(RunningBinary, PathBuf)> {
    if !Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var("REQUIRE_BROWSER").as_deref() != Ok("1"),
            "REQUIRE_BROWSER=1 but {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipping the {what}: {CHROMEDRIVER} is missing");
        return None;
    }
    // fantoccini and reqwest enable two rustls crypto providers: choose one for the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::create_dir_all(&shots).unwrap();
    let app = RunningBinary::start(&["serve", "--dev"], env, Capture::Nothing, None).await;
    Some((app, shots))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sign_in_token_sign_out_and_admin_disable() {
    let Some((app, shots)) = browser_app("browser test", ADMIN_EMAIL).await else {
        return;
    };
    let admin_pages = plain_client()
        .get(format!("{}/admin/users", app.address))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
        != 404;

    let driver = Driver::start().await;
    let (user, _user_profile) = Context::open("user", &driver, &app.address, &shots).await;
    let (admin, _admin_profile) = Context::open("admin", &driver, &app.address, &shots).await;
    let (user_client, admin_client) = (user.client.clone(), admin.client.clone());

    // The journeys run in their own task, so that the browsers are closed even if one panics.
    let base = app.address.clone();
    let outcome = tokio::spawn(async move {
        user_journey(&user, &base).await?;
        if admin_pages {
            admin_journey(&user, &admin).await?;
        } else {
            eprintln!(
                "skipping the admin half of the browser test: /admin/users is not on this branch (404)"
            );
        }
        Ok::<(), String>(())
    })
    .await;
    let _ = user_client.close().await;
    let _ = admin_client.close().await;
    drop(driver);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!(
            "browser test failed: {e}\n(screenshots in {})",
            shots.display()
        ),
        Err(e) => panic!("browser test panicked: {e}"),
    }
}
