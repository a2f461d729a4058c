//! `Browser`: one person's client with its own cookie jar that never follows redirects (each hop
//! is checked), the sign-in flow step by step, and the small readers of URLs and pages.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, LOCATION};
use std::sync::Arc;

/// One browser: its own cookie jar, never follows redirects. Cookies are kept per host, not
/// per port, so one jar serves every instance on 127.0.0.1, as one origin behind a load
/// balancer would.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    jar: Arc<Jar>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self::with_headers(base, HeaderMap::new())
    }

    /// A browser that sends these headers with every request.
    pub fn with_headers(base: &str, headers: HeaderMap) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .build()
            .expect("client");
        Self {
            base: base.to_string(),
            client,
            jar,
        }
    }

    /// `path` on this browser's app, or `path` itself when it is a whole URL.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// `GET /api/me`, checked to be a 200: the JSON answer.
    pub async fn me(&self) -> serde_json::Value {
        let r = self.get("/api/me").await;
        assert_eq!(r.status().as_u16(), 200, "GET /api/me");
        r.json().await.expect("JSON from /api/me")
    }

    /// The `Cookie` header this browser sends to its app now (the session cookie).
    pub fn cookie(&self) -> String {
        let url = self.base.parse().expect("base URL");
        let cookie = self
            .jar
            .cookies(&url)
            .map(|v| v.to_str().expect("cookie text").to_string())
            .unwrap_or_default();
        assert!(!cookie.is_empty(), "session cookie");
        cookie
    }

    /// The CSRF token on the home page (signed in only).
    pub async fn csrf(&self) -> String {
        let html = self.get_text("/").await;
        extract_input(&html, "csrf").expect("csrf field on the home page")
    }

    /// Signs out through the home page's form (CSRF token included).
    pub async fn logout(&self) -> reqwest::Response {
        let csrf = self.csrf().await;
        self.post_form("/logout", &[("csrf", &csrf)]).await
    }

    /// Creates an API token through the home page's form (signed in) and returns it.
    pub async fn create_api_token(&self) -> String {
        self.create_named_token("test token").await
    }

    /// Creates an API token with this name through the home page's form; returns it.
    pub async fn create_named_token(&self, name: &str) -> String {
        let csrf = self.csrf().await;
        let r = self
            .post_form("/tokens", &[("csrf", &csrf), ("name", name)])
            .await;
        assert_eq!(r.status().as_u16(), 200, "token page");
        let html = r.text().await.expect("token page");
        scrape_token(&html).expect("token on the page")
    }

    /// `GET /auth/google/login` → the provider's authorize URL.
    pub async fn begin_sign_in(&self, next: Option<&str>) -> String {
        self.begin_sign_in_with("google", next).await
    }

    /// Starts a sign-in with the provider `key`: the provider's authorize URL.
    pub async fn begin_sign_in_with(&self, key: &str, next: Option<&str>) -> String {
        let path = match next {
            Some(n) => format!("/auth/{key}/login?next={}", urlencode(n)),
            None => format!("/auth/{key}/login"),
        };
        let r = self.get(&path).await;
        assert_eq!(r.status().as_u16(), 302, "login redirect");
        location(&r)
    }

    /// Posts the provider's consent form for `authorize_url` with exactly these extra fields.
    pub async fn post_consent(
        &self,
        authorize_url: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let u = url::Url::parse(authorize_url).expect("authorize URL");
        let mut form: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut post_to = u.clone();
        post_to.set_query(None);
        self.client
            .post(post_to.as_str())
            .form(&form)
            .send()
            .await
            .expect("consent")
    }

    /// Approves on the provider's consent form as `email`/`name` (verified) → the callback URL.
    pub async fn consent(&self, authorize_url: &str, email: &str, name: &str) -> String {
        let r = self.approve(authorize_url, email, name, true).await;
        assert_eq!(r.status().as_u16(), 302, "consent redirect");
        location(&r)
    }

    /// Approves on the provider's consent form as `email`/`name`, the address verified or not;
    /// returns the provider's answer, unchecked.
    pub async fn approve(
        &self,
        authorize_url: &str,
        email: &str,
        name: &str,
        verified: bool,
    ) -> reqwest::Response {
        let mut fields = vec![("decision", "approve"), ("email", email), ("name", name)];
        if verified {
            fields.push(("email_verified", "true"));
        }
        self.post_consent(authorize_url, &fields).await
    }

    /// Begins a sign-in and approves it as `email`/`name`: the callback URL, not yet opened.
    pub async fn consented(&self, email: &str, name: &str) -> String {
        let authorize = self.begin_sign_in(None).await;
        self.consent(&authorize, email, name).await
    }

    /// The whole flow; returns the callback's answer (303 on success).
    pub async fn sign_in(&self, email: &str, name: &str, next: Option<&str>) -> reqwest::Response {
        let authorize = self.begin_sign_in(next).await;
        let callback = self.consent(&authorize, email, name).await;
        self.get(&callback).await
    }

    /// The whole flow with the provider `key`; returns the callback's answer (303 on success).
    pub async fn sign_in_with(&self, key: &str, email: &str, name: &str) -> reqwest::Response {
        self.sign_in_verified(key, email, name, true).await
    }

    /// The whole flow with the provider `key`, the address verified at the provider or not (the
    /// provider's redirect checked); returns the callback's answer.
    pub async fn sign_in_verified(
        &self,
        key: &str,
        email: &str,
        name: &str,
        verified: bool,
    ) -> reqwest::Response {
        let authorize = self.begin_sign_in_with(key, None).await;
        let r = self.approve(&authorize, email, name, verified).await;
        assert_eq!(r.status().as_u16(), 302, "consent redirect");
        self.get(&location(&r)).await
    }

    /// The whole flow, which must succeed (the callback's 303 checked).
    pub async fn signs_in(&self, email: &str, name: &str) {
        let r = self.sign_in(email, name, None).await;
        assert_eq!(r.status().as_u16(), 303, "sign-in as {email}");
    }
}

/// A client with no cookie jar and no redirects: it sends exactly the headers it is given.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// `GET {base}/api/me` with `Authorization: Bearer <token>` and no cookie.
pub async fn me_with_bearer_at(base: &str, token: &str) -> reqwest::Response {
    plain_client()
        .get(format!("{base}/api/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET /api/me")
}

pub fn location(r: &reqwest::Response) -> String {
    header(r, LOCATION.as_str())
}

/// One header of an answer as text ("" when absent).
pub fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `value` of `<input name="NAME" value="…">` in a page.
pub fn extract_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `url` with parameter `name` replaced by `value` (or removed when `None`).
pub fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut u = url::Url::parse(url).expect("URL");
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != name)
        .collect();
    {
        let mut q = u.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    u.to_string()
}

/// `url` with its port replaced: the load balancer sent this request to the other instance.
pub fn on_port(url: &str, port: u16) -> String {
    let mut u = url::Url::parse(url).expect("URL");
    u.set_port(Some(port)).expect("a URL with a port");
    u.to_string()
}

/// The API token shown once on the token page.
pub fn scrape_token(html: &str) -> Option<String> {
    let start = html.find("spellcheck=\"false\">")? + "spellcheck=\"false\">".len();
    let end = html[start..].find("</textarea>")?;
    Some(html[start..start + end].trim().to_string())
}

/// The payload of a JWT, not verified (tests read `exp`, `jti`).
pub fn jwt_payload(token: &str) -> serde_json::Value {
    let body = token.split('.').nth(1).expect("JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).expect("base64url")).expect("JSON")
}

/// The `jti` claim of a JWT.
pub fn jti_of(token: &str) -> String {
    jwt_payload(token)["jti"]
        .as_str()
        .expect("a jti")
        .to_string()
}

/// The value of one sample line (`name{labels} value`) in a metrics exposition, if present.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}
