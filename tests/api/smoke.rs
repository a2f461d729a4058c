//! The happy path end to end, on both backends.

use crate::app_test;
use crate::helpers::*;

app_test!(sign_in_registers_and_shows_profile, |app| {
    let r = app.sign_in("ada@example.com", "Ada Lovelace").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/");
    assert_eq!(app.count_users(), 1);
    let home = app.browser.get_text("/").await;
    assert!(home.contains("Ada Lovelace"), "{home}");
    assert!(home.contains("ada@example.com"));
    assert_eq!(app.browser.me().await["email"], "ada@example.com");
});
