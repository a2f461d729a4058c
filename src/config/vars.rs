//! Every environment variable the service reads, in one list: the readers may ask for no other
//! (checked in debug builds), and the tests below hold this list, the source, the README's
//! configuration table and `.env.example` to the same set of names.

/// The variables, in the README's order.
pub const VARS: &[&str] = &[
    "APP_ENV",
    "BIND_ADDR",
    "APP_BASE_URL",
    "ALLOW_HTTP",
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "DATABASE_POOL_SIZE",
    "DATABASE_POOL_TIMEOUT",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "SECRET_KEY_PREVIOUS",
    "PROVIDERS",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_CLIENT_SECRET_FILE",
    "GOOGLE_ISSUER",
    "GOOGLE_AUTH_URL",
    "GOOGLE_TOKEN_URL",
    "GOOGLE_USERINFO_URL",
    "GOOGLE_JWKS_URL",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_CLIENT_SECRET_FILE",
    "OIDC_NAME",
    "OIDC_SCOPES",
    "OIDC_TRUSTED_EMAILS",
    "KAKAO_CLIENT_ID",
    "KAKAO_CLIENT_SECRET",
    "KAKAO_CLIENT_SECRET_FILE",
    "KAKAO_ISSUER",
    "KAKAO_AUTH_URL",
    "KAKAO_TOKEN_URL",
    "KAKAO_USERINFO_URL",
    "KAKAO_JWKS_URL",
    "NAVER_CLIENT_ID",
    "NAVER_CLIENT_SECRET",
    "NAVER_CLIENT_SECRET_FILE",
    "NAVER_AUTH_URL",
    "NAVER_TOKEN_URL",
    "NAVER_PROFILE_URL",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
    "GITHUB_CLIENT_SECRET_FILE",
    "GITHUB_AUTH_URL",
    "GITHUB_TOKEN_URL",
    "GITHUB_API_URL",
    "ALLOWED_EMAIL_DOMAINS",
    "ALLOWED_EMAILS",
    "ALLOWED_EMAILS_FILE",
    "ADMIN_EMAILS",
    "LINK_BY_VERIFIED_EMAIL",
    "JWT_TTL",
    "JWT_RENEW_WITHIN",
    "SESSION_MAX_AGE",
    "API_TOKEN_TTL",
    "HTTP_TIMEOUT",
    "TRUSTED_PROXIES",
    "LOG_FORMAT",
    "RATE_LIMIT_PER_MINUTE",
    "RATE_LIMIT_BURST",
    "METRICS_ADDR",
    "SITE_NAME",
    "DEFAULT_LANGUAGE",
    "DISPLAY_TIMEZONE",
    "SHUTDOWN_TIMEOUT",
    // Read by the tracing subscriber (`telemetry::init`), not by `Config`.
    "RUST_LOG",
];

/// The secrets that may also be given as a file, `<NAME>_FILE` (systemd credentials, container
/// secrets), so that their value need not sit in the environment.
pub const SECRET_FILE_VARS: &[&str] = &[
    "SECRET_KEY",
    "GOOGLE_CLIENT_SECRET",
    "OIDC_CLIENT_SECRET",
    "KAKAO_CLIENT_SECRET",
    "NAVER_CLIENT_SECRET",
    "GITHUB_CLIENT_SECRET",
    "DATABASE_URL",
];

/// True when `name` is in `VARS` (a reader asking for another name is a bug).
pub(super) fn is_known(name: &str) -> bool {
    VARS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn read(rel: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn is_var_name(s: &str) -> bool {
        s.len() > 2
            && s.starts_with(|c: char| c.is_ascii_uppercase())
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    }

    fn listed() -> BTreeSet<String> {
        VARS.iter().map(|v| v.to_string()).collect()
    }

    /// Every `"NAME"` string literal of the readers (the config modules and the subscriber):
    /// what they ask the environment for, plus the `_FILE` twins `Reader::secret` makes.
    fn read_by_source() -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rs") && n != "vars.rs" && !n.ends_with("tests.rs"))
            .map(|n| format!("src/config/{n}"))
            .collect();
        files.push("src/telemetry.rs".into());
        let mut names = BTreeSet::new();
        for f in files {
            let text = read(&f);
            // Unit tests below a `#[cfg(test)]` use names of their own.
            let text = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or("");
            for (i, quoted) in text.split('"').enumerate() {
                if i % 2 == 1 && is_var_name(quoted) {
                    names.insert(quoted.to_string());
                }
            }
        }
        names.extend(SECRET_FILE_VARS.iter().map(|k| format!("{k}_FILE")));
        names
    }

    /// The backticked names in the first column of the README's configuration table.
    fn in_readme() -> BTreeSet<String> {
        let readme = read("README.md");
        let section = readme
            .split("\n## Configuration\n")
            .nth(1)
            .expect("README has a Configuration section");
        let section = section.split("\n## ").next().unwrap_or("");
        let mut names = BTreeSet::new();
        for row in section.lines().filter(|l| l.starts_with("| `")) {
            let first = row.split('|').nth(1).unwrap_or("");
            for (i, quoted) in first.split('`').enumerate() {
                if i % 2 == 1 && is_var_name(quoted) {
                    names.insert(quoted.to_string());
                }
            }
        }
        names
    }

    /// The names `.env.example` sets or shows commented out (`NAME=` or `# NAME=`).
    fn in_env_example() -> BTreeSet<String> {
        read(".env.example")
            .lines()
            .filter_map(|l| {
                let l = l.strip_prefix('#').map(str::trim_start).unwrap_or(l);
                let (name, _) = l.split_once('=')?;
                is_var_name(name).then(|| name.to_string())
            })
            .collect()
    }

    fn same(what: &str, found: BTreeSet<String>) {
        let want = listed();
        let missing: Vec<_> = want.difference(&found).collect();
        let extra: Vec<_> = found.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{what} and config::VARS differ: missing from {what}: {missing:?}; not in VARS: {extra:?}"
        );
    }

    #[test]
    fn the_list_has_no_duplicates() {
        assert_eq!(listed().len(), VARS.len());
        for k in SECRET_FILE_VARS {
            assert!(is_known(k) && is_known(&format!("{k}_FILE")), "{k}");
        }
    }

    #[test]
    fn the_source_reads_exactly_the_listed_variables() {
        same(
            "the source of src/config and src/telemetry.rs",
            read_by_source(),
        );
    }

    #[test]
    fn the_readme_table_names_every_variable() {
        same("README.md's configuration table", in_readme());
    }

    #[test]
    fn env_example_names_every_variable() {
        same(".env.example", in_env_example());
    }
}
