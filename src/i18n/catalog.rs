//! The message catalogs (`locales/<lang>.yml`), compiled into the binary by `rust-i18n`: nothing
//! is parsed per request. A page asks for about twenty keys, so each worker thread keeps a memo
//! of the keys it has looked up: one FxHash probe instead of the backend's two SipHash probes
//! (locale, then key), which were 6 % of a signed-in home page's instructions
//! (docs/BENCHMARKS.md, "Instructions per request").

use super::Lang;
use rustc_hash::FxHashMap;
use std::cell::RefCell;

rust_i18n::i18n!("locales");

thread_local! {
    /// Per language, the keys this thread found and their text. Only keys the catalog has are
    /// kept, so the memo never holds more than the catalogs do, whatever keys are asked for.
    static MEMO: RefCell<[FxHashMap<Box<str>, &'static str>; Lang::ALL.len()]> =
        RefCell::new(Default::default());
}

/// The catalog's text for `key` in `lang`, if it has one (no fallback to another language: a
/// missing key must show, not hide behind English).
pub(super) fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    let slot = lang as usize;
    let memo = MEMO.with_borrow(|m| m.get(slot).and_then(|map| map.get(key).copied()));
    if memo.is_some() {
        return memo;
    }
    let text = _RUST_I18N_BACKEND.translate(lang.code(), key)?;
    MEMO.with_borrow_mut(|m| {
        if let Some(map) = m.get_mut(slot) {
            map.insert(key.into(), text);
        }
    });
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_answers_as_the_catalog_does() {
        for lang in Lang::ALL {
            let first = lookup(lang, "nav.sign_out");
            assert!(first.is_some(), "{lang}: nav.sign_out is in the catalog");
            // The second answer comes from the memo and must be the same text.
            assert_eq!(lookup(lang, "nav.sign_out"), first);
            assert_eq!(
                first,
                _RUST_I18N_BACKEND.translate(lang.code(), "nav.sign_out")
            );
        }
        assert_ne!(
            lookup(Lang::En, "nav.sign_out"),
            lookup(Lang::Ko, "nav.sign_out")
        );
        assert_eq!(lookup(Lang::En, "no.such.key"), None);
        assert_eq!(lookup(Lang::En, "no.such.key"), None);
    }
}
