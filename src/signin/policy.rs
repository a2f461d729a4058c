//! `Policy`: who may sign in (`ALLOWED_EMAIL_DOMAINS`, `ALLOWED_EMAILS`, `ALLOWED_EMAILS_FILE`)
//! and who becomes an admin (`ADMIN_EMAILS`, the development mode's first sign-in).

use super::Refusal;
use super::allowlist::AllowFile;
use crate::domain::Email;
use crate::provider::EmailAuthority;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Who may sign in and who becomes an admin (configuration).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `ALLOWED_EMAIL_DOMAINS`, lower-cased.
    pub allowed_domains: Vec<String>,
    /// `ALLOWED_EMAILS`, lower-cased.
    pub allowed_emails: Vec<String>,
    /// `ALLOWED_EMAILS_FILE`, re-read when it changes.
    pub allowed_emails_file: Option<Arc<AllowFile>>,
    /// `ADMIN_EMAILS`, lower-cased.
    pub admin_emails: Vec<String>,
    /// `serve --dev`: the first person to sign in while there is no admin becomes one.
    pub dev_first_admin: bool,
    /// `LINK_BY_VERIFIED_EMAIL`: a new identity joins the account whose identity has verified
    /// the same address, when the new provider is authoritative for it (`register`).
    pub link_by_verified_email: bool,
}

impl Policy {
    /// No list restricts who may sign in.
    pub fn is_open(&self) -> bool {
        self.allowed_domains.is_empty()
            && self.allowed_emails.is_empty()
            && self.allowed_emails_file.is_none()
    }

    /// Who may sign in: with no list configured, everyone; otherwise whoever any configured
    /// list admits (the domains, `ALLOWED_EMAILS`, the file). Refused with the domain message
    /// when the domains are the only list, else with the address one (which names no address).
    pub fn admission(
        &self,
        email: &Email,
        hd: Option<&str>,
        authority: EmailAuthority,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        if self.is_open() {
            return Ok(());
        }
        let domains = !self.allowed_domains.is_empty();
        let addresses = !self.allowed_emails.is_empty() || self.allowed_emails_file.is_some();
        let admitted = (domains && self.domain_allowed(email, hd, authority))
            || self.allowed_emails.iter().any(|a| a == email.as_str())
            || self
                .allowed_emails_file
                .as_ref()
                .is_some_and(|f| f.admits(email.as_str(), now));
        match (admitted, addresses) {
            (true, _) => Ok(()),
            (false, false) => Err(Refusal::DomainNotAllowed {
                allowed: self.allowed_domains.join(", "),
            }),
            (false, true) => Err(Refusal::NotOnAllowlist),
        }
    }

    /// The domain rule. With Google, a Workspace account proves its domain with the `hd` claim;
    /// an email domain alone does not (anyone can make a Google account on any address), except
    /// Google's own consumer domains. Other providers have no `hd`: their verified email decides.
    pub fn domain_allowed(
        &self,
        email: &Email,
        hd: Option<&str>,
        authority: EmailAuthority,
    ) -> bool {
        if self.allowed_domains.is_empty() {
            return true;
        }
        let listed = |d: &str| self.allowed_domains.iter().any(|a| a == d);
        match hd {
            Some(hd) => listed(hd),
            None if authority == EmailAuthority::Google => {
                matches!(email.domain(), "gmail.com" | "googlemail.com") && listed(email.domain())
            }
            None => listed(email.domain()),
        }
    }

    /// `ADMIN_EMAILS` grants the admin role to a new account only when the provider is
    /// authoritative for its address: at Google, a Workspace account (`hd`) or a Gmail address
    /// (anyone can make a Google account on any other address); elsewhere, the verified email
    /// (which the sign-in requires before it gets here), when that provider's emails are trusted.
    pub fn grants_admin(&self, email: &Email, hd: Option<&str>, authority: EmailAuthority) -> bool {
        authoritative(email, hd, authority) && self.admin_emails.iter().any(|a| a == email.as_str())
    }
}

/// Whether the provider vouches for the address itself, not only for an account that claims
/// it: at Google a Workspace account (`hd`) or a Gmail address; a provider whose verified
/// emails are trusted (a Google stand-in, `OIDC_TRUSTED_EMAILS=true`) by the verified email;
/// any other OpenID provider never. Needed for anything that makes an admin from an address
/// (`ADMIN_EMAILS`, `--admin` invitations).
pub fn authoritative(email: &Email, hd: Option<&str>, authority: EmailAuthority) -> bool {
    match authority {
        EmailAuthority::Google => {
            hd.is_some() || matches!(email.domain(), "gmail.com" | "googlemail.com")
        }
        EmailAuthority::Trusted => true,
        EmailAuthority::Untrusted => false,
    }
}

impl Policy {}

#[cfg(test)]
mod tests {
    use super::*;

    const G: EmailAuthority = EmailAuthority::Google;
    const T: EmailAuthority = EmailAuthority::Trusted;

    fn policy(domains: &[&str]) -> Policy {
        Policy {
            allowed_domains: domains.iter().map(|d| d.to_string()).collect(),
            admin_emails: vec!["boss@example.com".into()],
            ..Policy::default()
        }
    }

    #[test]
    fn domain_rule_trusts_hd_at_google_and_the_email_elsewhere() {
        let e = |s: &str| Email::parse(s).unwrap();
        let p = policy(&["example.com", "gmail.com"]);
        assert!(policy(&[]).domain_allowed(&e("a@any.org"), None, G));
        assert!(p.domain_allowed(&e("a@example.com"), Some("example.com"), G));
        assert!(
            !p.domain_allowed(&e("a@example.com"), None, G),
            "no hd at Google: the email's domain proves nothing"
        );
        assert!(p.domain_allowed(&e("a@gmail.com"), None, G));
        assert!(p.domain_allowed(&e("a@example.com"), None, T));
        assert!(!p.domain_allowed(&e("a@other.com"), Some("other.com"), G));
    }

    #[test]
    fn admin_grant_is_by_exact_address() {
        let p = policy(&[]);
        assert!(p.grants_admin(&Email::parse("Boss@Example.com").unwrap(), None, T));
        assert!(!p.grants_admin(&Email::parse("boss@example.com.evil").unwrap(), None, T));
    }

    #[test]
    fn an_untrusted_provider_grants_no_admin() {
        let p = policy(&[]);
        let boss = Email::parse("boss@example.com").unwrap();
        assert!(p.grants_admin(&boss, None, T));
        assert!(!p.grants_admin(&boss, None, EmailAuthority::Untrusted));
        assert!(!authoritative(&boss, None, EmailAuthority::Untrusted));
    }

    #[test]
    fn admin_grant_at_google_needs_hd_or_gmail() {
        let e = |s: &str| Email::parse(s).unwrap();
        let mut p = policy(&[]);
        p.admin_emails.push("boss@gmail.com".into());
        assert!(p.grants_admin(&e("boss@example.com"), Some("example.com"), G));
        assert!(
            !p.grants_admin(&e("boss@example.com"), None, G),
            "a consumer Google account on someone else's address"
        );
        assert!(p.grants_admin(&e("boss@gmail.com"), None, G));
    }

    #[test]
    fn any_configured_list_admits_and_none_configured_admits_everyone() {
        let e = |s: &str| Email::parse(s).unwrap();
        let now = Utc::now();
        let open = policy(&[]);
        assert!(open.admission(&e("a@any.org"), None, T, now).is_ok());

        let domains = policy(&["example.com"]);
        assert!(matches!(
            domains.admission(&e("a@other.org"), None, T, now),
            Err(Refusal::DomainNotAllowed { .. })
        ));

        let mut both = policy(&["example.com"]);
        both.allowed_emails = vec!["guest@other.org".into()];
        assert!(both.admission(&e("a@example.com"), None, T, now).is_ok());
        assert!(both.admission(&e("Guest@Other.org"), None, T, now).is_ok());
        assert!(matches!(
            both.admission(&e("a@other.org"), None, T, now),
            Err(Refusal::NotOnAllowlist)
        ));

        let mut only_file = policy(&[]);
        only_file.allowed_emails_file = Some(Arc::new(AllowFile::new("/nonexistent/allow".into())));
        assert!(
            only_file.admission(&e("a@any.org"), None, T, now).is_err(),
            "a missing file admits nobody, not everybody"
        );
    }
}
