//! `Refusal`: every way a sign-in can be turned down, as one value that carries its audit and
//! metrics reason, its HTTP status and the text the person reads. The handler renders it; the
//! audit log and the metrics read `reason()`.

use crate::domain::Email;
use crate::i18n::Msg;
use crate::provider::ProviderError;

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The person said no at the provider (`error=access_denied`).
    #[error("the person cancelled at the provider")]
    Cancelled,
    /// The provider answered the callback with another `error`.
    #[error("the provider returned an error")]
    ProviderSaidNo,
    /// No pending sign-in, a different, expired or replayed `state`, or another issuer.
    #[error("the state did not match a pending sign-in")]
    BadState,
    #[error("the callback had no usable code")]
    NoCode,
    #[error("the email address is not verified")]
    EmailUnverified,
    #[error("the email domain is not allowed")]
    DomainNotAllowed { allowed: String },
    /// `ALLOWED_EMAILS` / `ALLOWED_EMAILS_FILE` (and the domains, if any) do not list the person.
    #[error("the email address is not on the allowlist")]
    NotOnAllowlist,
    #[error("the user is disabled")]
    UserDisabled { user_id: i64, email: Email },
    /// The email belongs to a user with another provider subject (the address was reassigned,
    /// or the provider changed the account behind it): never merged by the address.
    #[error("the email belongs to another account")]
    EmailHeldByOther { user_id: i64, email: Email },
    /// Linking: the provider account already signs in to another account here.
    #[error("the identity belongs to another account")]
    IdentityTaken { user_id: i64, email: Email },
    #[error("identity provider failure")]
    Provider(#[from] ProviderError),
}

impl Refusal {
    /// A short, stable label for the audit log and the metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Cancelled | Refusal::ProviderSaidNo => "provider_error",
            Refusal::BadState => "bad_state",
            Refusal::NoCode => "bad_request",
            Refusal::EmailUnverified => "email_unverified",
            Refusal::DomainNotAllowed { .. } => "domain_not_allowed",
            Refusal::NotOnAllowlist => "email_not_allowed",
            Refusal::UserDisabled { .. } => "user_disabled",
            Refusal::EmailHeldByOther { .. } => "email_held_by_other",
            Refusal::IdentityTaken { .. } => "identity_taken",
            Refusal::Provider(p) => p.reason(),
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Cancelled | Refusal::ProviderSaidNo | Refusal::BadState | Refusal::NoCode => {
                400
            }
            Refusal::EmailUnverified
            | Refusal::DomainNotAllowed { .. }
            | Refusal::NotOnAllowlist
            | Refusal::UserDisabled { .. } => 403,
            Refusal::EmailHeldByOther { .. } | Refusal::IdentityTaken { .. } => 409,
            Refusal::Provider(ProviderError::Timeout) => 504,
            Refusal::Provider(_) => 502,
        }
    }

    /// Whether the page offers to sign in again.
    pub fn offers_retry(&self) -> bool {
        !matches!(self, Refusal::NoCode)
    }

    /// The user it concerns, when one is known (for the audit row's target).
    pub fn user(&self) -> Option<(i64, &Email)> {
        match self {
            Refusal::UserDisabled { user_id, email }
            | Refusal::EmailHeldByOther { user_id, email }
            | Refusal::IdentityTaken { user_id, email } => Some((*user_id, email)),
            _ => None,
        }
    }

    /// Title and message for the person, each with a `%{provider}` for the caller to fill;
    /// never internal detail.
    pub fn text(&self) -> (Msg, Msg) {
        match self {
            Refusal::Cancelled => (
                Msg::new("refusal.cancelled.title"),
                Msg::new("refusal.cancelled.message"),
            ),
            Refusal::ProviderSaidNo => (
                Msg::new("refusal.provider_said_no.title"),
                Msg::new("refusal.provider_said_no.message"),
            ),
            Refusal::BadState => (
                Msg::new("refusal.bad_state.title"),
                Msg::new("refusal.bad_state.message"),
            ),
            Refusal::NoCode => (
                Msg::new("refusal.no_code.title"),
                Msg::new("refusal.no_code.message"),
            ),
            Refusal::EmailUnverified => (
                Msg::new("refusal.email_unverified.title"),
                Msg::new("refusal.email_unverified.message"),
            ),
            Refusal::DomainNotAllowed { allowed } => (
                Msg::new("refusal.domain_not_allowed.title"),
                Msg::new("refusal.domain_not_allowed.message").arg("allowed", allowed),
            ),
            Refusal::NotOnAllowlist => (
                Msg::new("refusal.not_on_allowlist.title"),
                Msg::new("refusal.not_on_allowlist.message"),
            ),
            Refusal::UserDisabled { .. } => (
                Msg::new("refusal.user_disabled.title"),
                Msg::new("refusal.user_disabled.message"),
            ),
            Refusal::EmailHeldByOther { .. } => (
                Msg::new("refusal.email_held_by_other.title"),
                Msg::new("refusal.email_held_by_other.message"),
            ),
            Refusal::IdentityTaken { .. } => (
                Msg::new("refusal.identity_taken.title"),
                Msg::new("refusal.identity_taken.message"),
            ),
            Refusal::Provider(ProviderError::Timeout) => (
                Msg::new("refusal.provider_timeout.title"),
                Msg::new("refusal.provider_timeout.message"),
            ),
            Refusal::Provider(ProviderError::IdToken(_)) => (
                Msg::new("refusal.id_token.title"),
                Msg::new("refusal.id_token.message"),
            ),
            Refusal::Provider(_) => (
                Msg::new("refusal.provider_failed.title"),
                Msg::new("refusal.provider_failed.message"),
            ),
        }
    }
}
