//! The message catalogs (`locales/<lang>.yml`), compiled into the binary by `rust-i18n`: a
//! lookup is one hash-map probe returning a `&'static str`, and nothing is parsed per request.

rust_i18n::i18n!("locales");

/// The catalog's text for `key` in `locale`, if it has one (no fallback to another language:
/// a missing key must show, not hide behind English).
pub(super) fn lookup(locale: &str, key: &str) -> Option<&'static str> {
    _RUST_I18N_BACKEND.translate(locale, key)
}
