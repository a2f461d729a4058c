//! The OAuth 2.0 providers that have no ID token: Naver (the code flow with `state`, then the
//! profile API `/v1/nid/me`) and GitHub (the code flow with PKCE S256, then `/user` and
//! `/user/emails`, where only the verified primary address counts). The person is who the
//! profile API says the access token belongs to; every call has the timeout, redirect and size
//! rules of `provider::http`.

use super::http;
use super::{
    AuthorizeRequest, CodeExchange, EmailAuthority, Identifying, Identity, IdentityProvider,
    ProviderError,
};
use crate::config::{ProviderConfig, ProviderKind};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::time::Duration;
use url::Url;

pub struct OAuthClient {
    cfg: ProviderConfig,
    redirect_uri: String,
    http: reqwest::Client,
}

crate::debug_shows!(OAuthClient, |s| { provider: s.cfg.kind, client_id: s.cfg.client_id });

/// A string field of a JSON object, trimmed, at most 512 characters; numbers (GitHub's `id`)
/// as their decimal text.
fn text(v: &Value, k: &str) -> Option<String> {
    let raw = match v.get(k)? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!raw.is_empty()).then(|| raw.chars().take(512).collect())
}

impl OAuthClient {
    pub fn new(
        cfg: ProviderConfig,
        redirect_uri: String,
        timeout: Duration,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            http: http::client(timeout)?,
            cfg,
            redirect_uri,
        })
    }

    fn uses_pkce(&self) -> bool {
        self.cfg.kind == ProviderKind::Github
    }

    /// The code for an access token, the client's id and secret in the form (both providers'
    /// way). An answer with an `error` is a refusal even when it comes with 200 (GitHub's way).
    async fn access_token(&self, x: &CodeExchange<'_>) -> Result<Secret, ProviderError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", x.code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", self.cfg.client_id.as_str()),
            ("client_secret", self.cfg.client_secret.expose()),
        ];
        match self.cfg.kind {
            ProviderKind::Github => form.push(("code_verifier", x.verifier)),
            // Naver asks for the state again at the token endpoint.
            _ => form.push(("state", x.state)),
        }
        let req = self.http.post(self.cfg.token_url.clone()).form(&form);
        let v = http::call_json(req, http::oauth_error).await?;
        if v.get("error").is_some() {
            return Err(ProviderError::Status {
                status: 400,
                error: http::oauth_error(&v),
            });
        }
        if !v["token_type"]
            .as_str()
            .unwrap_or("")
            .eq_ignore_ascii_case("bearer")
        {
            return Err(ProviderError::BadResponse("token_type is not Bearer"));
        }
        let token = v["access_token"]
            .as_str()
            .ok_or(ProviderError::BadResponse("no access_token"))?;
        Ok(Secret::new(token))
    }

    async fn get(&self, url: &str, token: &Secret) -> Result<Value, ProviderError> {
        let req = self
            .http
            .get(url)
            .bearer_auth(token.expose())
            .header("X-GitHub-Api-Version", "2022-11-28");
        http::call_json(req, |v| {
            // Naver's `resultcode`, GitHub's `message`: a short printable label.
            text(v, "resultcode")
                .or_else(|| text(v, "message"))
                .unwrap_or_else(|| "refused".into())
                .chars()
                .filter(char::is_ascii_graphic)
                .take(64)
                .collect()
        })
        .await
    }

    /// Naver's profile: `{"resultcode":"00","message":"success","response":{…}}`.
    async fn naver(&self, token: &Secret) -> Result<Identity, ProviderError> {
        let v = self.get(self.cfg.userinfo_url.as_str(), token).await?;
        let code = text(&v, "resultcode").unwrap_or_default();
        if code != "00" {
            return Err(ProviderError::Status {
                status: 200,
                error: format!("resultcode {}", code.chars().take(8).collect::<String>()),
            });
        }
        let p = &v["response"];
        let subject = text(p, "id").ok_or(ProviderError::BadResponse("no id in the profile"))?;
        let email = text(p, "email");
        Ok(Identity {
            subject,
            // Naver says nothing of verification: the address is not verified, which signs a
            // person in only where no allowlist applies (`unverified_email_signs_in`).
            email_verified: false,
            email,
            name: text(p, "name").or_else(|| text(p, "nickname")),
            picture: text(p, "profile_image"),
            ..Identity::default()
        })
    }

    /// GitHub's `/user` and `/user/emails`: only the primary address, and only if verified.
    async fn github(&self, token: &Secret) -> Result<Identity, ProviderError> {
        let base = self.cfg.userinfo_url.as_str().trim_end_matches('/');
        let user = self.get(&format!("{base}/user"), token).await?;
        let subject = text(&user, "id").ok_or(ProviderError::BadResponse("no id in /user"))?;
        let emails = self.get(&format!("{base}/user/emails"), token).await?;
        let primary = emails
            .as_array()
            .ok_or(ProviderError::BadResponse("/user/emails is not a list"))?
            .iter()
            .find(|e| e["primary"].as_bool() == Some(true));
        Ok(Identity {
            subject,
            email: primary.and_then(|e| text(e, "email")),
            email_verified: primary.is_some_and(|e| e["verified"].as_bool() == Some(true)),
            name: text(&user, "name").or_else(|| text(&user, "login")),
            picture: text(&user, "avatar_url"),
            ..Identity::default()
        })
    }
}

impl IdentityProvider for OAuthClient {
    fn config(&self) -> &ProviderConfig {
        &self.cfg
    }

    fn unverified_email_signs_in(&self) -> bool {
        self.cfg.kind == ProviderKind::Naver
    }

    fn email_authority(&self) -> EmailAuthority {
        if self.cfg.trusted_emails {
            EmailAuthority::Trusted
        } else {
            EmailAuthority::Untrusted
        }
    }

    fn authorize_url(&self, r: &AuthorizeRequest<'_>) -> Url {
        let mut url = super::authorize_base(&self.cfg, &self.redirect_uri, r.state);
        {
            let mut q = url.query_pairs_mut();
            if !self.cfg.scopes.is_empty() {
                q.append_pair("scope", &self.cfg.scopes);
            }
            if self.uses_pkce() {
                q.append_pair("code_challenge", r.code_challenge)
                    .append_pair("code_challenge_method", "S256");
            }
            if let (Some(hint), ProviderKind::Github) = (r.login_hint, self.cfg.kind) {
                q.append_pair("login", hint);
            }
        }
        url
    }

    fn issuer_matches(&self, iss: &str) -> bool {
        iss == self.cfg.issuer
    }

    fn identify<'a>(&'a self, exchange: CodeExchange<'a>, _now: DateTime<Utc>) -> Identifying<'a> {
        Box::pin(async move {
            let token = self.access_token(&exchange).await?;
            match self.cfg.kind {
                ProviderKind::Github => self.github(&token).await,
                _ => self.naver(&token).await,
            }
        })
    }
}
