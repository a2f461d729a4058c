//! The `state` comparison of the callback, for `bench/ct_compare.sh`: compares a 43-character
//! state (the length the service makes) with a wrong one that differs in its first byte or in
//! its last byte, many times. Run under `valgrind --tool=callgrind`, which counts instructions
//! (the same count for the same binary and input, however busy the machine), the two runs must
//! spend the same number of instructions: the time taken tells nothing about how much of the
//! state an attacker has guessed. `--naive` compares with `==` instead, to show the check can
//! tell the difference.
//!
//! Usage: ct_compare first|last [--naive] [ROUNDS]

use signin::signin::PendingLogin;
use std::hint::black_box;

const ROUNDS: u32 = 200_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(at) = args.first().map(String::as_str) else {
        eprintln!("usage: ct_compare first|last [--naive] [ROUNDS]");
        std::process::exit(2);
    };
    let naive = args.iter().any(|a| a == "--naive");
    let rounds = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse::<u32>().ok())
        .unwrap_or(ROUNDS);
    let state = "Zq3v".repeat(11)[..43].to_string();
    let mut wrong = state.clone().into_bytes();
    let i = match at {
        "first" => 0,
        "last" => wrong.len() - 1,
        _ => {
            eprintln!("usage: ct_compare first|last [--naive] [ROUNDS]");
            std::process::exit(2);
        }
    };
    wrong[i] = b'_';
    let wrong = String::from_utf8(wrong).unwrap_or_default();
    let pending = PendingLogin {
        state,
        nonce: String::new(),
        verifier: String::new(),
        next: "/".into(),
        started: 0,
        provider: "google".into(),
        link_to: None,
    };
    let mut matched = 0u32;
    for _ in 0..rounds {
        let p = black_box(&pending);
        let w = black_box(wrong.as_str());
        let same = if naive {
            p.state == w
        } else {
            p.state_matches(w)
        };
        matched += u32::from(same);
    }
    println!("rounds={rounds} matched={matched}");
}
