//! The fault switches: ways the tests make the provider misbehave (wrong claims, bad signatures,
//! a slow, failing or garbled token endpoint, JWKS or userinfo down). They exist only with the
//! `dev-faults` cargo feature, which the tests turn on (`switched.rs`); without it every hook is a
//! constant "behave" (`inert.rs`), and neither the switches nor their answers are in the binary.
//!
//! The endpoints ask a snapshot (`DevProvider::faults`) one question at a time, so that the
//! correct behaviour reads straight through in their own files; both halves answer the same
//! questions.

#[cfg(feature = "dev-faults")]
pub(super) use switched::Switch;
#[cfg(feature = "dev-faults")]
pub use switched::{Azp, Faults, Signing, TokenAnswer};

#[cfg(not(feature = "dev-faults"))]
pub(super) use inert::Switch;

#[cfg(not(feature = "dev-faults"))]
mod inert;
#[cfg(feature = "dev-faults")]
mod switched;
