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
        /// The title's and the message's keys of `refusal.<slug>`.
        macro_rules! keys {
            ($slug:literal) => {
                (
                    concat!("refusal.", $slug, ".title"),
                    concat!("refusal.", $slug, ".message"),
                )
            };
        }
        let (title, message) = match self {
            Refusal::Cancelled => keys!("cancelled"),
            Refusal::ProviderSaidNo => keys!("provider_said_no"),
            Refusal::BadState => keys!("bad_state"),
            Refusal::NoCode => keys!("no_code"),
            Refusal::EmailUnverified => keys!("email_unverified"),
            Refusal::DomainNotAllowed { .. } => keys!("domain_not_allowed"),
            Refusal::NotOnAllowlist => keys!("not_on_allowlist"),
            Refusal::UserDisabled { .. } => keys!("user_disabled"),
            Refusal::EmailHeldByOther { .. } => keys!("email_held_by_other"),
            Refusal::IdentityTaken { .. } => keys!("identity_taken"),
            Refusal::Provider(ProviderError::Timeout) => keys!("provider_timeout"),
            Refusal::Provider(ProviderError::IdToken(_)) => keys!("id_token"),
            Refusal::Provider(_) => keys!("provider_failed"),
        };
        let message = match self {
            Refusal::DomainNotAllowed { allowed } => Msg::new(message).arg("allowed", allowed),
            _ => Msg::new(message),
        };
        (Msg::new(title), message)
    }
}
