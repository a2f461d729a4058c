//! A stored user agent summarised as people name their devices: "Chrome on Linux".

/// "Browser on OS", from the first known names found in the user agent; "Unknown device"
/// when there is none.
pub fn device_summary(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|u| !u.trim().is_empty()) else {
        return "Unknown device".into();
    };
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let browser = first_match(
        ua,
        &[
            ("Edg/", "Edge"),
            ("OPR/", "Opera"),
            ("Firefox/", "Firefox"),
            ("Chromium/", "Chromium"),
            ("Chrome/", "Chrome"),
            ("Safari/", "Safari"),
            ("curl/", "curl"),
        ],
    );
    let os = first_match(
        ua,
        &[
            ("Android", "Android"),
            ("iPhone", "iOS"),
            ("iPad", "iPadOS"),
            ("Windows", "Windows"),
            ("Mac OS X", "macOS"),
            ("CrOS", "ChromeOS"),
            ("Linux", "Linux"),
        ],
    );
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.into(),
        (None, Some(o)) => format!("Browser on {o}"),
        (None, None) => "Unknown browser".into(),
    }
}

/// The name of the first `(marker, name)` whose marker the user agent contains.
fn first_match(ua: &str, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table
        .iter()
        .find_map(|(marker, name)| ua.contains(marker).then_some(*name))
}

#[cfg(test)]
mod tests {
    use super::device_summary;

    #[test]
    fn common_user_agents_read_as_people_say_them() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Version/17.1 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
                "Firefox on Linux",
            ),
            ("curl/8.4.0", "curl"),
            ("something", "Unknown browser"),
        ];
        for (ua, want) in cases {
            assert_eq!(device_summary(Some(ua)), want, "{ua}");
        }
        assert_eq!(device_summary(None), "Unknown device");
    }
}
