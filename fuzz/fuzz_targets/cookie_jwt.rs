//! Fuzzes what the app does with a cookie it did not make: the `Cookie` header parser, the
//! private (encrypted + signed) cookie decryption, the session-state JSON, the pending login and
//! the app JWT decoder. None of them may panic, whatever the bytes.
#![no_main]

use actix_web::cookie::{Cookie, CookieJar, Key};
use libfuzzer_sys::fuzz_target;
use signin::sessions::jwt::JwtCodec;
use signin::signin::PendingLogin;
use std::collections::HashMap;
use std::sync::OnceLock;

struct Fixture {
    key: Key,
    codec: JwtCodec,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture {
        key: Key::from(&[7u8; 64]),
        codec: JwtCodec::new(&[9u8; 32], "http://localhost:8000").expect("codec"),
    })
}

/// What the app does with a decrypted session state (actix-session: a JSON map of JSON strings).
fn use_state(f: &Fixture, state: &str) {
    let Ok(map) = serde_json::from_str::<HashMap<String, String>>(state) else {
        return;
    };
    if let Some(t) = map
        .get("t")
        .and_then(|v| serde_json::from_str::<String>(v).ok())
    {
        let _ = f.codec.decode(&t, chrono::Utc::now());
    }
    if let Some(l) = map.get("l") {
        let _ = serde_json::from_str::<PendingLogin>(l).map(|p| p.state_matches("x"));
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let s = String::from_utf8_lossy(data);

    // 1. The raw `Cookie` header a client sends, and decryption of each pair as if it were ours.
    let mut jar = CookieJar::new();
    for pair in s.split(';') {
        if let Ok(c) = Cookie::parse(pair.trim()) {
            jar.add_original(c.into_owned());
        }
    }
    let names: Vec<String> = jar.iter().map(|c| c.name().to_string()).collect();
    for n in names {
        if let Some(c) = jar.private(&f.key).get(&n) {
            use_state(f, c.value());
        }
    }

    // 2. The same bytes as a JWT.
    let _ = f.codec.decode(&s, chrono::Utc::now());

    // 3. The same bytes as a decrypted state: encrypt them under our key, then read them back
    //    through the path a real cookie takes (the fuzzer cannot forge the encryption itself).
    let mut jar = CookieJar::new();
    jar.private_mut(&f.key)
        .add(Cookie::new("session", s.to_string()));
    if let Some(c) = jar.get("session").cloned() {
        let mut read = CookieJar::new();
        read.add_original(c);
        if let Some(c) = read.private(&f.key).get("session") {
            use_state(f, c.value());
        }
    }
});
