use super::*;
use crate::db::DatabaseKind;

pub(super) const GOOD_KEY: &str =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub(super) fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The configuration of `pairs` with `--dev`.
fn dev(pairs: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    Config::from_env(&env(pairs), true)
}

/// The configuration of `pairs` without `--dev`.
fn not_dev(pairs: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    Config::from_env(&env(pairs), false)
}

#[test]
fn dev_defaults_are_valid() {
    let c = dev(&[]).unwrap();
    assert_eq!(c.app_env, AppEnv::Development);
    assert_eq!(
        c.redirect_uri(),
        "http://localhost:8000/auth/google/callback"
    );
    let days = chrono::Duration::days;
    assert_eq!(
        c.lifetimes,
        Lifetimes {
            ttl: days(30),
            renew_within: days(7),
            max_age: days(90),
            api_ttl: days(90),
        }
    );
    assert!(matches!(c.database.url.kind(), DatabaseKind::Sqlite(_)));
    assert_eq!(c.database.url.expose(), DEFAULT_DATABASE_URL);
    assert!(
        c.providers
            .google
            .token_url
            .as_str()
            .starts_with("http://localhost:8000/dev/oidc/")
    );
    assert_eq!(c.providers.google.issuer, "http://localhost:8000/dev/oidc");
}

#[test]
fn production_refuses_development_defaults_all_at_once() {
    let err = dev(&[("APP_ENV", "production")]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("SECRET_KEY"), "{text}");
    assert!(text.contains("--dev"), "{text}");
    assert!(text.contains("https"), "{text}");
    assert!(err.0.len() >= 3);
}

#[test]
fn production_requires_google_credentials_and_long_key() {
    let err = not_dev(&[
        ("APP_ENV", "production"),
        ("APP_BASE_URL", "https://example.com"),
        ("SECRET_KEY", "short"),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("GOOGLE_CLIENT_ID"), "{text}");
    assert!(text.contains("GOOGLE_CLIENT_SECRET"), "{text}");
    assert!(text.contains("at least 64"), "{text}");
}

#[test]
fn every_bad_value_is_reported() {
    let err = dev(&[
        ("APP_ENV", "staging"),
        ("BIND_ADDR", "nowhere"),
        ("APP_BASE_URL", "ftp://x"),
        ("DATABASE_URL", "mysql://x"),
        ("JWT_TTL", "soon"),
        ("HTTP_TIMEOUT", "10 parsecs"),
        ("TRUSTED_PROXIES", "1.2.3.4,not-an-ip"),
        ("LOG_FORMAT", "xml"),
        ("DATABASE_POOL_SIZE", "0"),
        ("API_TOKEN_TTL", "0s"),
    ])
    .unwrap_err();
    assert_eq!(err.0.len(), 10, "{err}");
}

#[test]
fn secret_key_is_redacted_in_debug() {
    let key = GOOD_KEY.to_string() + "UNIQUEMARK";
    let c = dev(&[("SECRET_KEY", &key)]).unwrap();
    assert!(!format!("{c:?}").contains("UNIQUEMARK"));
}

#[test]
fn database_settings_alone_need_no_credentials() {
    let d = DatabaseConfig::from_env(&env(&[
        ("APP_ENV", "production"),
        ("DATABASE_URL", "postgres://app:pw@db.example/app"),
        ("DATABASE_POOL_SIZE", "3"),
        ("DATABASE_POOL_TIMEOUT", "2s"),
    ]))
    .unwrap();
    assert!(d.is_production());
    assert_eq!(d.url.kind(), &DatabaseKind::Postgres);
    assert_eq!(d.pool_size, 3);
    assert_eq!(d.pool_timeout, StdDuration::from_secs(2));

    let d = DatabaseConfig::from_env(&env(&[("APP_ENV", "dev")])).unwrap();
    assert!(!d.is_production());
    assert_eq!(d.url.expose(), DEFAULT_DATABASE_URL);
    assert_eq!(d.pool_timeout, StdDuration::from_secs(5));
}

#[test]
fn database_settings_are_read_as_the_full_configuration_reads_them() {
    let pairs = [
        ("APP_ENV", "prod"),
        ("DATABASE_URL", "sqlite://x/y.db"),
        ("DATABASE_POOL_SIZE", "7"),
        ("DATABASE_POOL_TIMEOUT", "1500ms"),
        ("APP_BASE_URL", "https://example.com"),
        ("SECRET_KEY", GOOD_KEY),
        ("GOOGLE_CLIENT_ID", "id"),
        ("GOOGLE_CLIENT_SECRET", "secret"),
    ];
    let c = not_dev(&pairs).unwrap();
    let d = DatabaseConfig::from_env(&env(&pairs)).unwrap();
    assert_eq!(c.app_env, d.app_env);
    assert_eq!(c.database.url, d.url);
    assert_eq!(c.database.pool_size, d.pool_size);
    assert_eq!(c.database.pool_timeout, d.pool_timeout);
}

#[test]
fn database_settings_report_every_problem_of_their_own() {
    let err = DatabaseConfig::from_env(&env(&[
        ("APP_ENV", "staging"),
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_POOL_SIZE", "many"),
        ("DATABASE_POOL_TIMEOUT", "0s"),
        ("JWT_TTL", "soon"),
    ]))
    .unwrap_err();
    assert_eq!(err.0.len(), 4, "{err}");
    let text = err.to_string();
    for key in [
        "APP_ENV",
        "DATABASE_URL",
        "DATABASE_POOL_SIZE",
        "DATABASE_POOL_TIMEOUT",
    ] {
        assert!(text.contains(key), "{key}: {text}");
    }
}

#[test]
fn dev_mode_is_refused_off_loopback_naming_every_reason() {
    let err = dev(&[
        ("APP_ENV", "production"),
        ("APP_BASE_URL", "https://signin.example.com"),
        ("BIND_ADDR", "0.0.0.0:8000"),
        (
            "SECRET_KEY",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.0.len(), 3, "{text}");
    assert!(text.contains("APP_ENV=production"), "{text}");
    assert!(
        text.contains("APP_BASE_URL `https://signin.example.com` is not loopback"),
        "{text}"
    );
    assert!(
        text.contains("BIND_ADDR `0.0.0.0:8000` is not loopback"),
        "{text}"
    );

    // Development by default, but reachable from outside: each address is refused on its own.
    for (key, value) in [
        ("APP_BASE_URL", "http://192.168.1.10:8000"),
        ("BIND_ADDR", "0.0.0.0:8000"),
        ("BIND_ADDR", "[::]:8000"),
    ] {
        let err = dev(&[(key, value)]).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert!(err.0[0].contains(key), "{err}");
        // Without --dev the same address is fine.
        assert!(not_dev(&[(key, value)]).is_err_and(|e| !e.to_string().contains(key)));
    }

    // Loopback in every spelling is accepted.
    for (base, bind) in [
        ("http://localhost:8000", "127.0.0.1:8000"),
        ("http://127.0.0.2:9000", "127.0.0.2:9000"),
        ("http://[::1]:8000", "[::1]:8000"),
        ("http://LOCALHOST:8000", "127.255.255.254:8000"),
    ] {
        let c = dev(&[
            ("APP_ENV", "development"),
            ("APP_BASE_URL", base),
            ("BIND_ADDR", bind),
        ]);
        assert!(c.is_ok(), "{base} {bind}: {c:?}");
    }
}

#[test]
fn weak_or_short_keys_are_refused_with_a_hint_current_and_previous() {
    let a64 = "a".repeat(64);
    let fifteen = "0123456789abcde".repeat(5);
    let err = dev(&[
        ("SECRET_KEY", &a64),
        (
            "SECRET_KEY_PREVIOUS",
            &format!("{GOOD_KEY}, {fifteen},short"),
        ),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.0.len(), 3, "{text}");
    assert!(
        text.contains("SECRET_KEY must have at least 16 different characters; it has 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "SECRET_KEY_PREVIOUS (key 2) must have at least 16 different characters; it has 15"
        ),
        "{text}"
    );
    assert!(
        text.contains("SECRET_KEY_PREVIOUS (key 3) must be at least 64"),
        "{text}"
    );
    assert!(text.contains("openssl rand -hex 48"), "{text}");
    assert!(!text.contains(GOOD_KEY), "a key was printed: {text}");

    let c = dev(&[
        ("SECRET_KEY", GOOD_KEY),
        ("SECRET_KEY_PREVIOUS", &format!(" {}X ,", &GOOD_KEY[1..])),
    ])
    .unwrap();
    assert_eq!(c.secrets.previous_keys.len(), 1);
    assert_eq!(
        c.secrets.previous_keys[0].expose(),
        format!("{}X", &GOOD_KEY[1..])
    );
    assert!(!format!("{c:?}").contains(&GOOD_KEY[1..]));
}

/// A production environment that is valid except for what a test changes.
fn production_env(extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut e = env(&[
        ("APP_ENV", "production"),
        ("APP_BASE_URL", "https://example.com"),
        (
            "SECRET_KEY",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
        ("GOOGLE_CLIENT_ID", "id"),
        ("GOOGLE_CLIENT_SECRET", "secret"),
    ]);
    e.extend(env(extra));
    e
}

#[test]
fn production_provider_urls_must_be_https_each_listed() {
    assert!(Config::from_env(&production_env(&[]), false).is_ok());
    let all_http = [
        ("GOOGLE_AUTH_URL", "http://127.0.0.1:9000/authorize"),
        ("GOOGLE_TOKEN_URL", "http://127.0.0.1:9000/token"),
        ("GOOGLE_USERINFO_URL", "http://127.0.0.1:9000/userinfo"),
        ("GOOGLE_JWKS_URL", "http://127.0.0.1:9000/jwks"),
    ];
    let err = Config::from_env(&production_env(&all_http), false).unwrap_err();
    for (key, _) in all_http {
        assert!(
            err.0
                .iter()
                .any(|p| p.starts_with(key) && p.contains("https")),
            "{key}: {err}"
        );
    }
    // Loopback http:// only with ALLOW_HTTP=true.
    let mut loopback = all_http.to_vec();
    loopback.push(("ALLOW_HTTP", "true"));
    assert!(Config::from_env(&production_env(&loopback), false).is_ok());
    let remote = [
        ("ALLOW_HTTP", "true"),
        ("GOOGLE_TOKEN_URL", "http://token.example.com/token"),
    ];
    let err = Config::from_env(&production_env(&remote), false).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(err.0[0].starts_with("GOOGLE_TOKEN_URL"), "{err}");
    // Development keeps accepting http:// (the tests' provider).
    let mut dev = all_http.to_vec();
    dev.push(("APP_ENV", "development"));
    assert!(Config::from_env(&production_env(&dev), false).is_ok());
}

#[test]
fn allowlists_are_validated_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    std::fs::write(&good, "# team\n\nAnn@Example.com\n  bob@example.com  \n").unwrap();
    let c = dev(&[
        ("ALLOWED_EMAILS", "guest@other.org"),
        ("ALLOWED_EMAILS_FILE", good.to_str().unwrap()),
    ])
    .unwrap();
    assert_eq!(c.access.allowlist.emails, vec!["guest@other.org"]);
    assert_eq!(c.access.allowlist.file.as_deref(), Some(good.as_path()));
    assert_eq!(
        parse_allow_file(&std::fs::read_to_string(&good).unwrap()).0,
        vec!["ann@example.com", "bob@example.com"]
    );

    let bad = dir.path().join("bad");
    std::fs::write(&bad, "ann@example.com\nnot an address\n# fine\nbob\n").unwrap();
    let text = dev(&[
        ("ALLOWED_EMAILS", "guest@other.org, nobody"),
        ("ALLOWED_EMAILS_FILE", bad.to_str().unwrap()),
    ])
    .unwrap_err()
    .to_string();
    assert!(text.contains("ALLOWED_EMAILS: `nobody`"), "{text}");
    assert!(text.contains("line 2: `not an address`"), "{text}");
    assert!(text.contains("line 4: `bob`"), "{text}");

    let missing = dir.path().join("missing");
    let text = dev(&[("ALLOWED_EMAILS_FILE", missing.to_str().unwrap())])
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("ALLOWED_EMAILS_FILE") && text.contains("cannot be read"),
        "{text}"
    );
}

/// The site's name, language and zone that `pairs` configure.
fn site(pairs: &[(&str, &str)]) -> (String, crate::i18n::Lang, chrono_tz::Tz) {
    let s = dev(pairs).unwrap().site;
    (s.name, s.default_lang, s.display_tz)
}

#[test]
fn site_defaults_to_the_host_english_and_utc() {
    assert_eq!(
        site(&[("APP_BASE_URL", "http://127.0.0.1:8000")]),
        (
            "127.0.0.1".into(),
            crate::i18n::Lang::En,
            chrono_tz::Tz::UTC
        )
    );
}

#[test]
fn site_name_language_and_zone_are_read() {
    let pairs = [
        ("SITE_NAME", "  사내 포털 "),
        ("DEFAULT_LANGUAGE", "ko"),
        ("DISPLAY_TIMEZONE", "Asia/Seoul"),
    ];
    assert_eq!(
        site(&pairs),
        (
            "사내 포털".into(),
            crate::i18n::Lang::Ko,
            chrono_tz::Asia::Seoul
        )
    );
}

#[test]
fn unknown_language_and_zone_are_clear_errors() {
    let err = dev(&[
        ("DEFAULT_LANGUAGE", "fr"),
        ("DISPLAY_TIMEZONE", "Mars/Olympus"),
        ("SITE_NAME", &"x".repeat(MAX_SITE_NAME + 1)),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("DEFAULT_LANGUAGE `fr`"), "{text}");
    assert!(text.contains("en, ko"), "{text}");
    assert!(text.contains("DISPLAY_TIMEZONE `Mars/Olympus`"), "{text}");
    assert!(text.contains("SITE_NAME"), "{text}");
    assert_eq!(err.0.len(), 3, "{text}");
}

#[test]
fn a_site_name_equal_to_a_sign_in_button_is_refused() {
    for name in ["Sign in with Google", "Google 계정으로 로그인", "sign in"] {
        let err = dev(&[("SITE_NAME", name)]).unwrap_err();
        assert!(err.to_string().contains("SITE_NAME"), "{name}: {err}");
    }
}

#[test]
fn every_enabled_provider_is_checked_and_every_problem_listed() {
    let err = not_dev(&[
        ("PROVIDERS", "oidc,github,kakao,naver,facebook,github"),
        ("OIDC_SCOPES", "email profile"),
    ])
    .unwrap_err();
    let text = err.to_string();
    for expected in [
        "PROVIDERS: `facebook` is not a provider",
        "PROVIDERS names `github` twice",
        "OIDC_ISSUER is required",
        "OIDC_CLIENT_ID is required",
        "OIDC_NAME is required",
        "OIDC_SCOPES must include `openid`",
        "GITHUB_CLIENT_ID is required",
        "GITHUB_CLIENT_SECRET is required",
        "KAKAO_CLIENT_ID is required",
        "NAVER_CLIENT_SECRET is required",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(
        !text.contains("GOOGLE_CLIENT_ID"),
        "Google is not enabled, so its credentials are not asked for: {text}"
    );
}

#[test]
fn production_provider_endpoints_must_be_https() {
    let err = not_dev(&[
        ("APP_ENV", "production"),
        ("PROVIDERS", "github,kakao"),
        ("GITHUB_CLIENT_ID", "id"),
        ("GITHUB_CLIENT_SECRET", "secret"),
        ("GITHUB_API_URL", "http://ghe.example.com/api/v3"),
        ("KAKAO_CLIENT_ID", "id"),
        ("KAKAO_CLIENT_SECRET", "secret"),
        ("KAKAO_JWKS_URL", "http://kauth.example.com/jwks"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("GITHUB_API_URL must be https://"), "{err}");
    assert!(err.contains("KAKAO_JWKS_URL must be https://"), "{err}");
    assert!(
        !err.contains("GITHUB_TOKEN_URL"),
        "the defaults are https: {err}"
    );
}

#[test]
fn dev_mode_stands_in_for_each_provider_on_this_origin() {
    let c = dev(&[("PROVIDERS", "naver,github,kakao")]).unwrap();
    let urls: Vec<(ProviderKind, String)> = c
        .providers
        .fixed
        .iter()
        .map(|p| (p.kind, p.userinfo_url.to_string()))
        .collect();
    assert_eq!(
        urls,
        [
            (
                ProviderKind::Naver,
                "http://localhost:8000/dev/naver/v1/nid/me".to_string()
            ),
            (
                ProviderKind::Github,
                "http://localhost:8000/dev/github".to_string()
            ),
            (
                ProviderKind::Kakao,
                "http://localhost:8000/dev/kakao/userinfo".to_string()
            ),
        ]
    );
    assert_eq!(
        c.redirect_uri_of(ProviderKind::Naver),
        "http://localhost:8000/auth/naver/callback"
    );
}
