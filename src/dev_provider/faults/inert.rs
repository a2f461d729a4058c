//! Without `dev-faults`: no switches; every hook answers "behave" and compiles away.

use crate::dev_provider::keys::{DevKeys, KeyError, SigningKey};
use crate::dev_provider::{DevProvider, Person};
use actix_web::HttpResponse;
use serde_json::{Map, Value};

/// No switches: the provider always behaves.
#[derive(Debug, Default)]
pub struct Switch;

impl Switch {
    pub fn new() -> Self {
        Self
    }

    fn get(&self) -> Faults {
        Faults
    }
}

/// The answer to every fault question is "behave".
#[derive(Debug, Clone, Copy)]
pub struct Faults;

impl DevProvider {
    pub(in crate::dev_provider) fn faults(&self) -> Faults {
        self.faults.get()
    }
}

impl Faults {
    pub(in crate::dev_provider) fn reassign(&self, person: Person) -> Person {
        person
    }

    pub(in crate::dev_provider) async fn token_answer(&self) -> Option<HttpResponse> {
        None
    }

    pub(in crate::dev_provider) fn tamper_id_token(
        &self,
        _claims: &mut Map<String, Value>,
        _now: i64,
    ) {
    }

    pub(in crate::dev_provider) fn forged_id_token(
        &self,
        _keys: &DevKeys,
        _claims: &Value,
    ) -> Option<Result<String, KeyError>> {
        None
    }

    pub(in crate::dev_provider) fn drops_id_token(&self) -> bool {
        false
    }

    pub(in crate::dev_provider) fn jwks_down(&self) -> bool {
        false
    }

    pub(in crate::dev_provider) fn published_second_key<'k>(
        &self,
        _keys: &'k DevKeys,
    ) -> Option<&'k SigningKey> {
        None
    }

    pub(in crate::dev_provider) fn userinfo_down(&self) -> bool {
        false
    }

    pub(in crate::dev_provider) fn profile_error(&self) -> bool {
        false
    }

    pub(in crate::dev_provider) fn discovery_names_another_issuer(&self) -> bool {
        false
    }

    pub(in crate::dev_provider) fn tamper_userinfo(&self, _info: &mut Map<String, Value>) {}
}
