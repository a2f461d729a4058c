//! The identity providers' settings: which ones the sign-in page offers (`PROVIDERS`), Google
//! (or a stand-in) from the `GOOGLE_*` variables, any OpenID provider by discovery from the
//! `OIDC_*` variables, the built-in development provider standing in for each under `--dev`,
//! and the rules that keep `--dev` on loopback.

use super::read::{Reader, SecretValue, placeholder_url, split_list};
use crate::paths;
use crate::secret::Secret;
use url::Url;

pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
pub const DEV_CLIENT_ID: &str = "dev-client";
pub const DEV_CLIENT_SECRET: &str = "dev-client-secret";

/// A kind of provider `PROVIDERS` can name; its key is also the routes' and the
/// `identities` table's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Google,
    /// Any OpenID provider, found by discovery from `OIDC_ISSUER`.
    Oidc,
    /// Kakao Login with OpenID Connect.
    Kakao,
    /// Naver Login: OAuth 2.0 and the profile API (no ID token).
    Naver,
    /// GitHub: OAuth 2.0 with PKCE, `/user` and `/user/emails` (no ID token).
    Github,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 5] = [
        ProviderKind::Google,
        ProviderKind::Oidc,
        ProviderKind::Kakao,
        ProviderKind::Naver,
        ProviderKind::Github,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ProviderKind::Google => "google",
            ProviderKind::Oidc => "oidc",
            ProviderKind::Kakao => "kakao",
            ProviderKind::Naver => "naver",
            ProviderKind::Github => "github",
        }
    }

    /// Whether the provider speaks OpenID Connect (an ID token, a JWKS), or only OAuth 2.0
    /// with a profile API.
    pub fn is_openid(self) -> bool {
        !matches!(self, ProviderKind::Naver | ProviderKind::Github)
    }

    /// Where `--dev` mounts the development provider standing in for this kind.
    pub fn dev_mount(self) -> &'static str {
        match self {
            ProviderKind::Google => paths::DEV_PROVIDER,
            ProviderKind::Oidc => paths::DEV_OIDC_PROVIDER,
            ProviderKind::Kakao => "/dev/kakao",
            ProviderKind::Naver => "/dev/naver",
            ProviderKind::Github => "/dev/github",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// How the client proves itself at the token endpoint (RFC 6749 §2.3.1, OIDC Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAuth {
    /// `client_secret_basic`: HTTP Basic with the form-encoded id and secret.
    Basic,
    /// `client_secret_post`: the id and secret in the form body.
    Post,
}

/// One provider's client settings and endpoints.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// As people read it: the button says "Sign in with {name}".
    pub name: String,
    /// The `scope` of the authorization request.
    pub scopes: String,
    pub token_auth: TokenAuth,
    /// The provider's verified emails prove the address itself (`OIDC_TRUSTED_EMAILS`; Google
    /// has its own rule, `hd` or Gmail).
    pub trusted_emails: bool,
    pub client_id: String,
    pub client_secret: Secret,
    pub issuer: String,
    pub auth_url: Url,
    pub token_url: Url,
    /// OpenID: userinfo. Naver: the profile API (`/v1/nid/me`). GitHub: the API's base URL.
    pub userinfo_url: Url,
    /// OpenID only; an OAuth 2.0-only provider (Naver, GitHub) has none, and this repeats its
    /// `userinfo_url` unread.
    pub jwks_url: Url,
}

/// True for a loopback host (`localhost`, 127.0.0.0/8, `[::1]`).
pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `--dev` lets anyone sign in as anyone through a provider whose client secret is public, so
/// it must not be able to face the world: refused unless `APP_ENV` is development (set or left
/// at its default) and both the public origin and the listening address are loopback. Every
/// failing reason is its own problem, so one run names them all.
pub(super) fn dev_mode_problems(r: &mut Reader, production: bool, base_url: &Url, bind_addr: &str) {
    if production {
        r.problem(
            "the development provider (--dev) is refused when APP_ENV=production (it needs APP_ENV=development or unset)",
        );
    }
    // A refused URL (replaced by the placeholder) is already reported as such.
    if !is_loopback(base_url) && *base_url != placeholder_url() {
        r.problem(format!(
            "the development provider (--dev) is refused: APP_BASE_URL `{}` is not loopback (localhost, 127.0.0.0/8 or [::1])",
            base_url.as_str().trim_end_matches('/')
        ));
    }
    // An address that does not parse is already reported as such.
    if let Ok(addr) = bind_addr.parse::<std::net::SocketAddr>()
        && !addr.ip().is_loopback()
    {
        r.problem(format!(
            "the development provider (--dev) is refused: BIND_ADDR `{bind_addr}` is not loopback (127.0.0.0/8 or [::1])"
        ));
    }
}

/// In production every provider URL is `https://` (the client secret, the code and the tokens
/// travel on them); `http://` only to a loopback host and only with `ALLOW_HTTP=true`. One
/// problem per URL, so that `check-config` lists each.
pub(super) fn check_provider_urls(r: &mut Reader, provider: &ProviderConfig) {
    let allow_http = matches!(r.get("ALLOW_HTTP"), Some("1" | "true" | "yes"));
    let fixed = fixed_provider(provider.kind);
    let [auth, token, userinfo, jwks] = fixed.vars;
    let mut urls = vec![
        (auth.0, &provider.auth_url),
        (token.0, &provider.token_url),
        (userinfo.0, &provider.userinfo_url),
    ];
    if provider.kind.is_openid() {
        urls.push((jwks.0, &provider.jwks_url));
    }
    for (key, url) in urls {
        if url.scheme() != "https" && !(allow_http && is_loopback(url)) {
            r.problem(format!(
                "{key} must be https:// in production (http:// is accepted only for a loopback host with ALLOW_HTTP=true)"
            ));
        }
    }
}

/// `PROVIDERS`: the sign-in page's buttons, in order (default `google`); each known once.
pub(super) fn read_providers(r: &mut Reader) -> Vec<ProviderKind> {
    let raw = r.get("PROVIDERS").unwrap_or("google");
    let mut kinds = Vec::new();
    for key in split_list(raw) {
        match ProviderKind::parse(&key) {
            Some(k) if kinds.contains(&k) => {
                r.problem(format!("PROVIDERS names `{key}` twice"));
            }
            Some(k) => kinds.push(k),
            None => r.problem(format!(
                "PROVIDERS: `{key}` is not a provider this service knows (known: {})",
                ProviderKind::ALL.map(ProviderKind::key).join(", ")
            )),
        }
    }
    if split_list(raw).is_empty() {
        r.problem("PROVIDERS names no provider (for example PROVIDERS=google)");
    }
    kinds
}

/// The development provider's issuer for `kind` on this origin (`--dev`).
pub fn dev_issuer(base_url: &Url, kind: ProviderKind) -> String {
    format!(
        "{}{}",
        base_url.as_str().trim_end_matches('/'),
        kind.dev_mount()
    )
}

/// The development provider standing in for `kind` (`--dev`): its endpoints are known, so
/// even `oidc` needs no discovery at start (the app would have to ask itself before listening).
pub(super) fn dev_provider_config(
    base_url: &Url,
    kind: ProviderKind,
    name: String,
) -> ProviderConfig {
    let issuer = dev_issuer(base_url, kind);
    let at = |p: &str| Url::parse(&format!("{issuer}{p}")).unwrap_or_else(|_| placeholder_url());
    ProviderConfig {
        kind,
        name,
        scopes: "openid email profile".into(),
        token_auth: TokenAuth::Basic,
        trusted_emails: false,
        client_id: DEV_CLIENT_ID.into(),
        client_secret: Secret::new(DEV_CLIENT_SECRET),
        auth_url: at("/authorize"),
        token_url: at("/token"),
        userinfo_url: at("/userinfo"),
        jwks_url: at("/jwks"),
        issuer,
    }
}

/// A provider at fixed, published endpoints (each overridable, so that tests and private
/// deployments can point elsewhere).
struct FixedProvider {
    /// The client id and secret variables, and the issuer override (OpenID only).
    id_var: &'static str,
    secret_var: &'static str,
    issuer_var: Option<&'static str>,
    name: &'static str,
    scopes: &'static str,
    token_auth: TokenAuth,
    issuer: &'static str,
    /// `(variable, default)` of the authorize, token, userinfo (or profile, or API) and JWKS
    /// endpoints; a provider without a JWKS repeats its third.
    vars: [(&'static str, &'static str); 4],
}

fn fixed_provider(kind: ProviderKind) -> FixedProvider {
    match kind {
        // `oidc` has no fixed endpoints (discovery checks its own); Google's stand for it here.
        ProviderKind::Google | ProviderKind::Oidc => FixedProvider {
            id_var: "GOOGLE_CLIENT_ID",
            secret_var: "GOOGLE_CLIENT_SECRET",
            issuer_var: Some("GOOGLE_ISSUER"),
            name: "Google",
            scopes: "openid email profile",
            token_auth: TokenAuth::Basic,
            issuer: GOOGLE_ISSUER,
            vars: [
                ("GOOGLE_AUTH_URL", GOOGLE_AUTH_URL),
                ("GOOGLE_TOKEN_URL", GOOGLE_TOKEN_URL),
                ("GOOGLE_USERINFO_URL", GOOGLE_USERINFO_URL),
                ("GOOGLE_JWKS_URL", GOOGLE_JWKS_URL),
            ],
        },
        // Kakao takes the client secret in the form, and the email only with the
        // `account_email` consent item.
        ProviderKind::Kakao => FixedProvider {
            id_var: "KAKAO_CLIENT_ID",
            secret_var: "KAKAO_CLIENT_SECRET",
            issuer_var: Some("KAKAO_ISSUER"),
            name: "Kakao",
            scopes: "openid account_email profile_nickname profile_image",
            token_auth: TokenAuth::Post,
            issuer: "https://kauth.kakao.com",
            vars: [
                ("KAKAO_AUTH_URL", "https://kauth.kakao.com/oauth/authorize"),
                ("KAKAO_TOKEN_URL", "https://kauth.kakao.com/oauth/token"),
                (
                    "KAKAO_USERINFO_URL",
                    "https://kapi.kakao.com/v1/oidc/userinfo",
                ),
                (
                    "KAKAO_JWKS_URL",
                    "https://kauth.kakao.com/.well-known/jwks.json",
                ),
            ],
        },
        ProviderKind::Naver => FixedProvider {
            id_var: "NAVER_CLIENT_ID",
            secret_var: "NAVER_CLIENT_SECRET",
            issuer_var: None,
            name: "Naver",
            scopes: "",
            token_auth: TokenAuth::Post,
            issuer: "https://nid.naver.com",
            vars: [
                ("NAVER_AUTH_URL", "https://nid.naver.com/oauth2.0/authorize"),
                ("NAVER_TOKEN_URL", "https://nid.naver.com/oauth2.0/token"),
                ("NAVER_PROFILE_URL", "https://openapi.naver.com/v1/nid/me"),
                ("NAVER_PROFILE_URL", "https://openapi.naver.com/v1/nid/me"),
            ],
        },
        ProviderKind::Github => FixedProvider {
            id_var: "GITHUB_CLIENT_ID",
            secret_var: "GITHUB_CLIENT_SECRET",
            issuer_var: None,
            name: "GitHub",
            scopes: "read:user user:email",
            token_auth: TokenAuth::Post,
            issuer: "https://github.com",
            vars: [
                (
                    "GITHUB_AUTH_URL",
                    "https://github.com/login/oauth/authorize",
                ),
                (
                    "GITHUB_TOKEN_URL",
                    "https://github.com/login/oauth/access_token",
                ),
                ("GITHUB_API_URL", "https://api.github.com"),
                ("GITHUB_API_URL", "https://api.github.com"),
            ],
        },
    }
}

/// Kakao, Naver or GitHub from their variables (`{PREFIX}_CLIENT_ID`, `_CLIENT_SECRET`, the
/// endpoint overrides), or their development stand-in (`--dev`).
pub(super) fn read_fixed(
    r: &mut Reader,
    kind: ProviderKind,
    dev_provider: bool,
    base_url: &Url,
    production: bool,
) -> ProviderConfig {
    let f = fixed_provider(kind);
    if dev_provider {
        let mut c = dev_provider_config(base_url, kind, f.name.into());
        c.scopes = f.scopes.into();
        c.token_auth = f.token_auth;
        c.trusted_emails = kind == ProviderKind::Github;
        let issuer = c.issuer.clone();
        let at =
            |p: &str| Url::parse(&format!("{issuer}{p}")).unwrap_or_else(|_| placeholder_url());
        match kind {
            ProviderKind::Naver => {
                c.userinfo_url = at("/v1/nid/me");
                c.jwks_url = c.userinfo_url.clone();
            }
            ProviderKind::Github => {
                c.userinfo_url = at("");
                c.jwks_url = c.userinfo_url.clone();
            }
            _ => {}
        }
        return c;
    }
    let client_id = r.get(f.id_var).unwrap_or_default().to_string();
    if client_id.is_empty() {
        r.problem(format!(
            "{} is required when PROVIDERS names `{}`",
            f.id_var,
            kind.key()
        ));
    }
    let client_secret = client_secret(r, f.secret_var, true);
    let issuer = match f.issuer_var {
        Some(var) => r.get(var).unwrap_or(f.issuer).to_string(),
        None => f.issuer.to_string(),
    };
    let [auth, token, userinfo, jwks] = f.vars;
    let config = ProviderConfig {
        kind,
        name: f.name.into(),
        scopes: f.scopes.into(),
        token_auth: f.token_auth,
        // GitHub's verified primary address is its own to vouch for.
        trusted_emails: kind == ProviderKind::Github,
        client_id,
        client_secret,
        issuer,
        auth_url: r.url(auth.0, auth.1),
        token_url: r.url(token.0, token.1),
        userinfo_url: r.url(userinfo.0, userinfo.1),
        jwks_url: if kind.is_openid() {
            r.url(jwks.0, jwks.1)
        } else {
            r.url(userinfo.0, userinfo.1)
        },
    };
    if production {
        check_provider_urls(r, &config);
    }
    config
}

/// A client secret variable: required when its provider is enabled.
pub(super) fn client_secret(r: &mut Reader, key: &str, required: bool) -> Secret {
    match r.secret(key) {
        SecretValue::Given(s) => s,
        SecretValue::Refused => Secret::new(""),
        SecretValue::Unset => {
            if required {
                r.problem(format!("{key} is required (or {key}_FILE)"));
            }
            Secret::new("")
        }
    }
}

/// Google (or a stand-in) from the `GOOGLE_*` variables, or the development provider
/// (`--dev`). Read even when `PROVIDERS` leaves Google out, since its issuer names the keys
/// (`sessions::keys`); its credentials are required only when it is enabled.
pub(super) fn read_provider(
    r: &mut Reader,
    dev_provider: bool,
    base_url: &Url,
    enabled: bool,
) -> ProviderConfig {
    if dev_provider {
        return dev_provider_config(base_url, ProviderKind::Google, "Google".into());
    }
    let client_id = r.get("GOOGLE_CLIENT_ID").unwrap_or_default().to_string();
    if client_id.is_empty() && enabled {
        r.problem(
            "GOOGLE_CLIENT_ID is required (or run `serve --dev` for the built-in development provider)",
        );
    }
    let client_secret = client_secret(r, "GOOGLE_CLIENT_SECRET", enabled);
    let issuer = r.get("GOOGLE_ISSUER").unwrap_or(GOOGLE_ISSUER).to_string();
    ProviderConfig {
        kind: ProviderKind::Google,
        name: "Google".into(),
        scopes: "openid email profile".into(),
        token_auth: TokenAuth::Basic,
        trusted_emails: false,
        client_id,
        client_secret,
        issuer,
        auth_url: r.url("GOOGLE_AUTH_URL", GOOGLE_AUTH_URL),
        token_url: r.url("GOOGLE_TOKEN_URL", GOOGLE_TOKEN_URL),
        userinfo_url: r.url("GOOGLE_USERINFO_URL", GOOGLE_USERINFO_URL),
        jwks_url: r.url("GOOGLE_JWKS_URL", GOOGLE_JWKS_URL),
    }
}
