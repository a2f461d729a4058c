//! Languages (issue 14): the choice order (switcher cookie, then `Accept-Language`, then
//! `DEFAULT_LANGUAGE`), the switcher's cookie and its same-origin redirect, every page rendered
//! in both languages without a missing catalog key, dates in `DISPLAY_TIMEZONE`, `SITE_NAME`
//! as the brand, and the JSON API left in English.

use crate::both_backends;
use crate::helpers::*;
use reqwest::header::{ACCEPT_LANGUAGE, HeaderMap, HeaderValue};

const ADMIN: &str = "admin@example.com";

/// What a page shows for a key the catalog lacks (`i18n::MISSING_MARK`).
const MISSING: &str = "[missing:";

fn html_lang(html: &str) -> &str {
    let at = html.find("<html lang=\"").expect("<html lang>") + "<html lang=\"".len();
    &html[at..at + html[at..].find('"').expect("end of lang")]
}

fn asking_for(base: &str, accept_language: &str) -> Browser {
    let mut h = HeaderMap::new();
    h.insert(
        ACCEPT_LANGUAGE,
        HeaderValue::from_str(accept_language).unwrap(),
    );
    Browser::with_headers(base, h)
}

/// The accessible name of the header's brand link (its text; the icon has `alt=""`).
fn brand_name(html: &str) -> String {
    let at = html.find("class=\"brand\"").expect("brand link");
    let rest = &html[at..];
    let start = rest.find("> ").expect("brand text") + 2;
    rest[start..start + rest[start..].find("</a>").unwrap()]
        .trim()
        .to_string()
}

/// The text of the sign-in button (`google-button`).
fn sign_in_button(html: &str) -> String {
    let at = html.find("google-button").expect("sign-in button");
    let rest = &html[at..];
    let start = rest.find("<span>").unwrap() + "<span>".len();
    rest[start..start + rest[start..].find("</span>").unwrap()].to_string()
}

both_backends!(
    the_language_comes_from_the_choice_then_the_browser_then_the_default,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        // Nothing asked: the default, English.
        let html = app.browser.get_text("/login").await;
        assert_eq!(html_lang(&html), "en");
        assert!(html.contains("Sign in with Google"));

        // Accept-Language, with q-values honoured.
        let ko = asking_for(&app.browser.base, "en;q=0.4, ko;q=0.9");
        let html = ko.get_text("/login").await;
        assert_eq!(html_lang(&html), "ko");
        assert!(html.contains("Google 계정으로 로그인"), "{html}");
        let en = asking_for(&app.browser.base, "fr, en-GB;q=0.8, ko;q=0.5");
        assert_eq!(html_lang(&en.get_text("/login").await), "en");

        // The switcher's choice beats the browser's.
        let r = ko.get("/language?lang=en&next=/login").await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(location(&r), "/login");
        assert_eq!(html_lang(&ko.get_text("/login").await), "en");
        app.stop().await;

        // DEFAULT_LANGUAGE when neither says anything.
        let app = TestApp::with_env(backend, &[("DEFAULT_LANGUAGE", "ko")]).await;
        let html = app.browser.get_text("/login").await;
        assert_eq!(html_lang(&html), "ko");
        let en = asking_for(&app.browser.base, "en-US,en;q=0.9");
        assert_eq!(html_lang(&en.get_text("/login").await), "en");
        app.stop().await;
    }
);

both_backends!(
    the_switcher_sets_a_small_cookie_and_stays_on_this_site,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let html = app.browser.get_text("/login?next=/account").await;
        // A plain link per language, back to this page, the current one marked.
        assert!(
            html.contains("href=\"/language?lang=ko&amp;next=%2Flogin%3Fnext%3D%2Faccount\"")
                || html
                    .contains("href=\"/language?lang=ko&#38;next=%2Flogin%3Fnext%3D%2Faccount\""),
            "{html}"
        );
        assert!(html.contains("aria-current=\"true\">English</a>"), "{html}");

        let r = app.browser.get("/language?lang=ko&next=/account").await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(location(&r), "/account");
        let cookie = header(&r, "set-cookie");
        assert!(cookie.starts_with("lang=ko;"), "{cookie}");
        assert!(
            cookie.contains("Path=/") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(cookie.contains("HttpOnly"), "{cookie}");

        // Never another origin.
        for next in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
        ] {
            let r = app
                .browser
                .get(&format!("/language?lang=ko&next={}", urlencode(next)))
                .await;
            assert_eq!(r.status().as_u16(), 303, "{next}");
            assert_eq!(location(&r), "/", "{next}");
        }
        // Only the languages offered; the page answers in the reader's language.
        let r = app.browser.get("/language?lang=xx&next=/").await;
        assert_eq!(r.status().as_u16(), 400);
        let html = r.text().await.unwrap();
        assert_eq!(html_lang(&html), "ko");
        assert!(html.contains("제공하지 않는 언어"), "{html}");
        app.stop().await;
    }
);

both_backends!(
    every_page_renders_in_both_languages_without_a_missing_key,
    |backend| async move {
        let app = TestApp::with_env(
            backend,
            &[("ADMIN_EMAILS", ADMIN), ("SITE_NAME", "Example Portal")],
        )
        .await;
        let provider = app.browser.begin_sign_in(None).await;
        let r = app.sign_in(ADMIN, "Admin").await;
        assert_eq!(r.status().as_u16(), 303);
        let other = app.new_browser();
        other.sign_in("ada@example.com", "Ada", None).await;
        let ada = app.browser.get_text("/admin/users?q=ada").await;
        let at = ada.find("href=\"/admin/users/").expect("ada's link") + "href=\"".len();
        let ada_page = ada[at..at + ada[at..].find('"').unwrap()].to_string();
        let ada_delete = format!("{ada_page}/delete");

        for lang in ["en", "ko"] {
            let r = app
                .browser
                .get(&format!("/language?lang={lang}&next=/"))
                .await;
            assert_eq!(r.status().as_u16(), 303);
            let token_page = {
                let csrf = app.browser.csrf().await;
                let r = app
                    .browser
                    .post_form("/tokens", &[("csrf", &csrf), ("name", "ci")])
                    .await;
                r.text().await.unwrap()
            };
            let mut pages = vec![("token", token_page)];
            for path in [
                "/",
                "/account",
                "/account/delete",
                "/admin/users",
                ada_page.as_str(),
                ada_delete.as_str(),
                "/admin/audit",
                "/no/such/page",
            ] {
                pages.push((path, app.browser.get_text(path).await));
            }
            let visitor = app.new_browser();
            visitor.get(&format!("/language?lang={lang}&next=/")).await;
            pages.push(("/login", visitor.get_text("/login").await));
            pages.push(("provider", visitor.get_text(&provider).await));
            for (path, html) in &pages {
                assert_eq!(html_lang(html), lang, "{path}");
                assert!(!html.contains(MISSING), "{lang} {path}: {html}");
                if *path != "provider" {
                    assert!(html.contains("<title>"), "{path}");
                    let title =
                        &html[html.find("<title>").unwrap()..html.find("</title>").unwrap()];
                    assert!(title.contains("Example Portal"), "{lang} {path}: {title}");
                    assert_eq!(brand_name(html), "Example Portal", "{path}");
                }
            }
            let home = &pages.iter().find(|p| p.0 == "/").unwrap().1;
            let users = &pages.iter().find(|p| p.0 == "/admin/users").unwrap().1;
            if lang == "ko" {
                assert!(home.contains("가입일"), "{home}");
                assert!(users.contains("전체 사용자"), "{users}");
                assert!(home.contains("오전") || home.contains("오후"), "{home}");
            } else {
                assert!(home.contains("Member since"), "{home}");
                assert!(users.contains("Total users"), "{users}");
            }
        }
        app.stop().await;
    }
);

both_backends!(
    the_brand_is_the_site_name_and_never_a_sign_in_button,
    |backend| async move {
        // Default: the host of APP_BASE_URL.
        let app = TestApp::spawn(backend).await;
        for lang in ["en", "ko"] {
            let b = asking_for(&app.browser.base, lang);
            let html = b.get_text("/login").await;
            let brand = brand_name(&html);
            assert_eq!(brand, "127.0.0.1", "{html}");
            assert_ne!(brand, sign_in_button(&html));
            assert!(
                html.contains("<title>") && html.contains("· 127.0.0.1</title>"),
                "{html}"
            );
            // The sign-in page says which provider is used and what is received.
            if lang == "ko" {
                assert!(
                    html.contains("Google에서 이름, 이메일 주소, 프로필 사진만"),
                    "{html}"
                );
            } else {
                assert!(
                    html.contains(
                        "We receive your name, email address and profile picture from Google"
                    ),
                    "{html}"
                );
            }
        }
        app.stop().await;
    }
);

both_backends!(
    dates_follow_the_language_and_the_display_time_zone,
    |backend| async move {
        let app = TestApp::with_env(backend, &[("DISPLAY_TIMEZONE", "Asia/Seoul")]).await;
        app.sign_in("ada@example.com", "Ada").await;
        let html = app.browser.get_text("/").await;
        assert!(html.contains(" KST"), "{html}");
        assert!(!html.contains(" UTC"), "{html}");
        app.browser.get("/language?lang=ko&next=/").await;
        let html = app.browser.get_text("/").await;
        assert!(
            html.contains("년 ") && html.contains("월 ") && html.contains("일"),
            "{html}"
        );
        assert!(html.contains("오전") || html.contains("오후"), "{html}");
        // The JSON API keeps RFC 3339 UTC and English, whatever the reader's language.
        let me = app.browser.me().await;
        let created = me["created_at"].as_str().unwrap_or_default();
        assert!(
            created.ends_with('Z') || created.ends_with("+00:00"),
            "{me}"
        );
        let r = app
            .browser
            .client
            .get(app.browser.url("/api/me"))
            .header("authorization", "Bearer nope")
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().is_ascii(), "{body}");
        app.stop().await;
    }
);
