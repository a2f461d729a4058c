//! The browser walk of issue 13: `serve --dev` with every provider kind; the sign-in page's
//! brand buttons pass axe-core; a person signs in with GitHub, links Kakao from the account page
//! (which passes axe-core too), signs out, and signs in again with Kakao to the same account.

use crate::a11y::{audit, audited_walk};
use crate::browser::{Context, R, browser_app_with, err};
use fantoccini::Locator;
use std::time::Duration;

const EMAIL: &str = "grace@example.com";
const NAME: &str = "Grace Hopper";

/// Clicks the button whose text is `label` (a sign-in or link form's submit).
async fn press(c: &Context, label: &str) -> R {
    c.click(
        label,
        Locator::XPath(&format!("//button[normalize-space()='{label}']")),
    )
    .await
}

/// On a dev provider's form: the person's email and name, Continue; then waits for `css`.
async fn approve(c: &Context, provider_path: &str, css: &str) -> R {
    c.wait_for("the dev provider's form", "#email").await?;
    let path = c.path().await?;
    if !path.starts_with(provider_path) {
        return Err(format!(
            "expected the provider at {provider_path}, got {path}"
        ));
    }
    c.approve_then(EMAIL, NAME, "the page after the provider", css)
        .await
}

async fn walk(c: &Context, found: &mut Vec<String>) -> R {
    c.goto("/login").await?;
    c.wait_for("the sign-in page", "button.github").await?;
    audit(c, "sign-in with every provider", found).await?;

    press(c, "Sign in with GitHub").await?;
    approve(c, "/dev/github/", "section.profile").await?;
    let home = c.text().await?;
    if !home.contains(EMAIL) {
        return Err(format!("home does not show {EMAIL}:\n{home}"));
    }

    c.goto("/account").await?;
    c.wait_for("the account page", "table.identities").await?;
    press(c, "Link Kakao").await?;
    approve(c, "/dev/kakao/", "table.identities").await?;
    if c.path().await? != "/account" {
        return Err("the link flow did not come back to /account".into());
    }
    let rows = c
        .client
        .find_all(Locator::Css("table.identities tr.identity"))
        .await
        .map_err(err("identity rows"))?;
    let mut providers = Vec::new();
    for r in rows {
        providers.push(r.text().await.map_err(err("row text"))?);
    }
    if providers.len() != 2
        || !providers[0].starts_with("GitHub")
        || !providers[1].starts_with("Kakao")
    {
        return Err(format!("the account lists {providers:?}"));
    }
    audit(c, "account with two ways to sign in", found).await?;

    // Signed out, then back in through the linked provider: the same person.
    c.click(
        "Sign out",
        Locator::XPath("//button[normalize-space()='Sign out']"),
    )
    .await?;
    c.wait_for("the sign-in page", "button.kakao").await?;
    press(c, "Sign in with Kakao").await?;
    approve(c, "/dev/kakao/", "section.profile").await?;
    let home = c.text().await?;
    if !home.contains(EMAIL) || !home.contains(NAME) {
        return Err(format!(
            "home after Kakao does not show the same person:\n{home}"
        ));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_two_providers_and_link_them_in_a_browser() {
    let env = [("PROVIDERS", "google,oidc,kakao,naver,github".to_string())];
    let Some(app) = browser_app_with("linking browser test", &env).await else {
        return;
    };
    let limit = Duration::from_secs(180);
    audited_walk(
        "linking browser test",
        "linking",
        &app,
        limit,
        async |c: &Context| {
            let mut found = Vec::new();
            walk(c, &mut found).await?;
            Ok(found)
        },
    )
    .await;
}
