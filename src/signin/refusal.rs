//! `Refusal`: every way a sign-in can be turned down, as one value that carries its audit and
//! metrics reason, its HTTP status and the text the person reads. The handler renders it; the
//! audit log and the metrics read `reason()`.

use crate::domain::Email;
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
            Refusal::EmailHeldByOther { .. } => 409,
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
            | Refusal::EmailHeldByOther { user_id, email } => Some((*user_id, email)),
            _ => None,
        }
    }

    /// Title and message for the person; never internal detail.
    pub fn text(&self) -> (&'static str, String) {
        match self {
            Refusal::Cancelled => (
                "Sign-in cancelled",
                "You cancelled signing in with Google, so nothing was changed.".into(),
            ),
            Refusal::ProviderSaidNo => (
                "Google could not sign you in",
                "Google reported a problem and did not sign you in. Please try again.".into(),
            ),
            Refusal::BadState => (
                "This sign-in link is no longer valid",
                "The sign-in could not be matched to one you started here (it may have expired, been used already, or been opened in another browser). Please start again.".into(),
            ),
            Refusal::NoCode => (
                "That request could not be used",
                "The sign-in answer had no code. Please start again.".into(),
            ),
            Refusal::EmailUnverified => (
                "Your email address is not verified",
                "Google has not verified the email address of this account. Verify it with Google, then sign in again.".into(),
            ),
            Refusal::DomainNotAllowed { allowed } => (
                "This account is not allowed here",
                format!("Only accounts from {allowed} can sign in to this service."),
            ),
            Refusal::NotOnAllowlist => (
                "This account is not allowed here",
                "This service lets in only the people on its list, and your address is not on it. Ask the administrator to add you.".into(),
            ),
            Refusal::UserDisabled { .. } => (
                "This account is disabled",
                "An administrator has disabled this account, so it cannot sign in. Contact the administrator if you think this is a mistake.".into(),
            ),
            Refusal::EmailHeldByOther { .. } => (
                "This email address belongs to another account here",
                "Google says this is a different account from the one that uses this email address here, so you were not signed in and nothing was changed. Contact the administrator if the address has moved to you.".into(),
            ),
            Refusal::Provider(ProviderError::Timeout) => (
                "Google did not answer in time",
                "Signing in with Google took too long. Nothing was changed; please try again."
                    .into(),
            ),
            Refusal::Provider(ProviderError::IdToken(_)) => (
                "Sign-in could not be verified",
                "Google's answer could not be verified, so you were not signed in. Please try again."
                    .into(),
            ),
            Refusal::Provider(_) => (
                "Google sign-in failed",
                "Google did not answer as expected, so you were not signed in. Please try again in a moment."
                    .into(),
            ),
        }
    }
}
