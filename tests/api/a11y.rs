//! The accessibility audit (issue 14): axe-core (vendored under `tests/vendor/axe-core/`) is
//! injected through WebDriver into every page a person or an admin can reach — sign-in, the dev
//! provider's page, home, account, the token page, the delete confirmation, the deleted page, the
//! error page, and the admin overview, user and audit pages — in English and Korean, in the
//! light and the dark scheme (`prefers-color-scheme` emulated over the DevTools protocol), signed
//! out and signed in: any WCAG 2.1 A/AA violation fails the test. The sign-in flow is then walked
//! with the keyboard alone (Tab and Enter as WebDriver key actions), checking the focus ring.
//!
//! With `UPDATE_SCREENSHOTS=1` it also writes docs/screenshots/{signin,home}-{en,ko}.png.
//! Skipped with a message when /usr/bin/chromedriver is missing, unless `REQUIRE_BROWSER=1`.

use crate::browser::{Context, Driver, R, browser_app, err};
use crate::helpers::RunningBinary;
use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");
const ADMIN_EMAIL: &str = "root@example.com";
const PERSON_EMAIL: &str = "ada@example.com";
const LANGS: [&str; 2] = ["en", "ko"];
const SCHEMES: [&str; 2] = ["light", "dark"];

/// The WCAG 2.1 A and AA rules, the violations as `rule (impact): help — where`.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — '
      + v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\s+/g, ' ')).join(' | '))))
  .catch(e => done(['axe failed: ' + e]));
"#;

/// A chromedriver extension: one DevTools protocol command on the session's page.
async fn cdp(c: &Context, cmd: &str, params: Value) -> R {
    let r = c
        .driver_command("goog/cdp/execute", json!({ "cmd": cmd, "params": params }))
        .await?;
    if !r.status().is_success() {
        return Err(format!("{cmd}: {}", r.text().await.unwrap_or_default()));
    }
    Ok(())
}

async fn scheme(c: &Context, scheme: &str) -> R {
    cdp(
        c,
        "Emulation.setEmulatedMedia",
        json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
    )
    .await
}

/// Opens a browser context `name` on `app` and runs `walk` (which gathers axe-core's
/// violations) in it for at most `limit`; then closes the browser, and fails the test (`what`)
/// on any violation found, on an error, or on the time running out.
pub(crate) async fn audited_walk(
    what: &str,
    name: &'static str,
    (app, shots): &(RunningBinary, PathBuf),
    limit: Duration,
    walk: impl AsyncFnOnce(&Context) -> R<Vec<String>>,
) {
    let driver = Driver::start().await;
    let (c, _profile) = Context::open(name, &driver, &app.address, shots).await;
    let outcome = tokio::time::timeout(limit, walk(&c)).await;
    let _ = c.client.close().await;
    drop(driver);
    match outcome {
        Ok(Ok(found)) => assert!(
            found.is_empty(),
            "axe-core found {} violation(s):\n{}",
            found.len(),
            found.join("\n")
        ),
        Ok(Err(e)) => panic!("{what} failed: {e}"),
        Err(_) => panic!("{what} took more than {} s", limit.as_secs()),
    }
}

/// axe-core on the page as it is now, in both schemes; the violations, labelled.
pub(crate) async fn audit(c: &Context, label: &str, found: &mut Vec<String>) -> R {
    // The error page is a 404 on purpose; every other page must load cleanly.
    if label != "error page" {
        c.check_page(label).await?;
    }
    let lang = c
        .client
        .execute("return document.documentElement.lang", vec![])
        .await
        .map_err(err("lang"))?;
    for s in SCHEMES {
        scheme(c, s).await?;
        let ready = c
            .client
            .execute("return typeof axe !== 'undefined'", vec![])
            .await
            .map_err(err("axe present"))?;
        if ready != Value::Bool(true) {
            c.client
                .execute(&format!("{AXE}\n;return true;"), vec![])
                .await
                .map_err(err("inject axe"))?;
        }
        let v = c
            .client
            .execute_async(RUN_AXE, vec![])
            .await
            .map_err(err("axe.run"))?;
        for line in v.as_array().cloned().unwrap_or_default() {
            found.push(format!(
                "{label} [{} {s}]: {}",
                lang.as_str().unwrap_or("?"),
                line.as_str().unwrap_or("?")
            ));
        }
    }
    scheme(c, "light").await
}

async fn choose(c: &Context, lang: &str) -> R {
    c.goto(&format!("/language?lang={lang}&next=/")).await
}

/// Signs in through the dev provider's form (the walk by keyboard is its own step).
async fn sign_in(c: &Context, email: &str, name: &str) -> R {
    c.goto("/auth/google/login").await?;
    c.wait_for("the provider's form", "#email").await?;
    c.approve_as(email, name).await
}

async fn screenshot(c: &Context, name: &str) -> R {
    if std::env::var("UPDATE_SCREENSHOTS").as_deref() != Ok("1") {
        return Ok(());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).map_err(err("screenshot dir"))?;
    let png = c.client.screenshot().await.map_err(err("screenshot"))?;
    std::fs::write(dir.join(format!("{name}.png")), png).map_err(err("write screenshot"))
}

async fn signed_out_pages(c: &Context, found: &mut Vec<String>) -> R {
    for lang in LANGS {
        choose(c, lang).await?;
        c.goto("/login").await?;
        c.wait_for("the sign-in page", "button.google-button")
            .await?;
        screenshot(c, &format!("signin-{lang}")).await?;
        audit(c, "sign-in", found).await?;
        c.goto("/no/such/page").await?;
        audit(c, "error page", found).await?;
        // Its 404 is logged as a console error: drop it, so later pages start clean.
        c.browser_log().await?;
        c.goto("/auth/google/login").await?;
        c.wait_for("the provider's form", "#email").await?;
        audit(c, "dev provider", found).await?;
    }
    Ok(())
}

async fn person_pages(c: &Context, found: &mut Vec<String>) -> R {
    sign_in(c, PERSON_EMAIL, "Ada Lovelace").await?;
    for lang in LANGS {
        choose(c, lang).await?;
        c.wait_for("home", "section.profile").await?;
        screenshot(c, &format!("home-{lang}")).await?;
        audit(c, "home", found).await?;
        c.fill("input#token-name", "audit").await?;
        c.click("Create API token", Locator::Css("form.token-form button"))
            .await?;
        c.wait_for("the token", "textarea#token").await?;
        audit(c, "token page", found).await?;
        c.goto("/account").await?;
        c.wait_for(
            "the account page",
            "form[action='/account/sign-out-others']",
        )
        .await?;
        audit(c, "account", found).await?;
        c.goto("/account/delete").await?;
        c.wait_for("the confirmation", "button.danger").await?;
        audit(c, "delete confirmation", found).await?;
    }
    Ok(())
}

async fn deleted_pages(c: &Context, found: &mut Vec<String>) -> R {
    for lang in LANGS {
        sign_in(c, &format!("leaving-{lang}@example.com"), "Leaving").await?;
        choose(c, lang).await?;
        c.goto("/account/delete").await?;
        c.click(
            "Delete the account",
            Locator::Css("main form button.danger"),
        )
        .await?;
        c.wait_for("the deleted page", "main section.card").await?;
        audit(c, "deleted", found).await?;
    }
    Ok(())
}

async fn admin_pages(c: &Context, found: &mut Vec<String>) -> R {
    sign_in(c, ADMIN_EMAIL, "Grace Admin").await?;
    c.goto("/admin/users?q=ada").await?;
    let link = c
        .client
        .find(Locator::Css("main td a[href^='/admin/users/']"))
        .await
        .map_err(err("a user in the list"))?;
    let user_page = link
        .attr("href")
        .await
        .map_err(err("href"))?
        .ok_or("no href")?;
    for lang in LANGS {
        choose(c, lang).await?;
        for (label, path) in [
            ("admin users", "/admin/users".to_string()),
            ("admin user", user_page.clone()),
            ("admin audit", "/admin/audit".to_string()),
            ("admin delete confirmation", format!("{user_page}/delete")),
        ] {
            c.goto(&path).await?;
            c.wait_for(label, "main").await?;
            audit(c, label, found).await?;
        }
    }
    Ok(())
}

async fn press(c: &Context, key: Key) -> R {
    let k: char = key.into();
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    c.client.perform_actions(keys).await.map_err(err("keys"))
}

/// Tab until the focused element matches `css` (at most 40 presses); it must show a focus ring.
async fn tab_to(c: &Context, what: &str, css: &str) -> R {
    for _ in 0..40 {
        press(c, Key::Tab).await?;
        let v = c
            .client
            .execute(
                "const el = document.activeElement; const s = getComputedStyle(el);
                 return { hit: el.matches(arguments[0]), ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };",
                vec![json!(css)],
            )
            .await
            .map_err(err("focus"))?;
        if v["hit"] == true {
            if v["ring"] != true {
                return Err(format!("{what} has focus but no visible focus ring"));
            }
            return Ok(());
        }
    }
    Err(format!("{what} ({css}) is not reachable with Tab"))
}

async fn keyboard_walk(c: &Context) -> R {
    c.goto("/login").await?;
    c.wait_for("the sign-in page", "button.google-button")
        .await?;
    tab_to(c, "the sign-in button", "button.google-button").await?;
    press(c, Key::Enter).await?;
    c.wait_for("the provider's page", "#email").await?;
    tab_to(c, "a sample person", "form.people button[name='sample']").await?;
    press(c, Key::Enter).await?;
    c.wait_for("the profile after a keyboard sign-in", "section.profile")
        .await?;
    tab_to(
        c,
        "the sign-out button",
        "main form[action='/logout'] button",
    )
    .await?;
    press(c, Key::Enter).await?;
    c.wait_for("the sign-in page after signing out", "button.google-button")
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_both_languages_and_schemes_and_sign_in_works_by_keyboard() {
    let Some(app) = browser_app("accessibility test", ADMIN_EMAIL).await else {
        return;
    };
    let limit = Duration::from_secs(300);
    audited_walk(
        "accessibility test",
        "a11y",
        &app,
        limit,
        async |c: &Context| {
            let mut found = Vec::new();
            keyboard_walk(c).await?;
            signed_out_pages(c, &mut found).await?;
            person_pages(c, &mut found).await?;
            c.client
                .delete_all_cookies()
                .await
                .map_err(err("cookies"))?;
            deleted_pages(c, &mut found).await?;
            c.client
                .delete_all_cookies()
                .await
                .map_err(err("cookies"))?;
            admin_pages(c, &mut found).await?;
            Ok(found)
        },
    )
    .await;
}
