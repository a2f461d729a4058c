//! The standard process series (`process_*`, as the Prometheus client libraries name them) and
//! `signin_build_info`. Read from `/proc/self` on Linux at scrape time; elsewhere, or when a
//! file cannot be read, the series are left out (never a panic, never a made-up value).

use std::fmt::Write as _;

/// The version and the commit the binary was built from (`build.rs`: `git rev-parse --short
/// HEAD`, or `unknown` outside a git checkout).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const COMMIT: &str = env!("SIGNIN_COMMIT");

/// `/proc/<pid>/stat` counts CPU time and the start time in USER_HZ ticks, which the kernel
/// fixes at 100 for user space on every architecture Linux supports (the kernel's own HZ is
/// converted); client_golang makes the same assumption.
const USER_HZ: f64 = 100.0;

/// What `/proc/self` says about this process, each field `None` when unreadable.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds: Option<f64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub start_time_seconds: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub virtual_bytes: Option<u64>,
}

impl ProcessStats {
    /// Reads `/proc/self` now (a handful of small files; only at scrape time).
    pub fn read() -> Self {
        let stat = std::fs::read_to_string("/proc/self/stat").ok();
        let stat = stat.as_deref().and_then(parse_stat);
        let status = std::fs::read_to_string("/proc/self/status").ok();
        let boot_time = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| parse_boot_time(&s));
        Self {
            cpu_seconds: stat.map(|s| (s.utime + s.stime) as f64 / USER_HZ),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|d| d.count() as u64),
            max_fds: std::fs::read_to_string("/proc/self/limits")
                .ok()
                .and_then(|l| parse_max_fds(&l)),
            start_time_seconds: stat
                .zip(boot_time)
                .map(|(s, boot)| boot as f64 + s.start_ticks as f64 / USER_HZ),
            resident_bytes: status.as_deref().and_then(|s| status_kib(s, "VmRSS:")),
            virtual_bytes: status.as_deref().and_then(|s| status_kib(s, "VmSize:")),
        }
    }

    /// The series in the text format (`SERIES`); absent values leave their series out.
    pub fn render(&self, out: &mut String) {
        let values = [
            self.cpu_seconds.map(|v| v.to_string()),
            self.open_fds.map(|v| v.to_string()),
            self.max_fds.map(|v| v.to_string()),
            self.start_time_seconds.map(|v| v.to_string()),
            self.resident_bytes.map(|v| v.to_string()),
            self.virtual_bytes.map(|v| v.to_string()),
        ];
        for ((name, help), value) in SERIES.iter().zip(values) {
            if let Some(v) = value {
                let kind = if name.ends_with("_total") {
                    "counter"
                } else {
                    "gauge"
                };
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
                );
            }
        }
    }
}

/// The series of `ProcessStats`, in its fields' order: name and help (client_golang's words);
/// a name ending in `_total` is a counter, the others gauges.
const SERIES: [(&str, &str); 6] = [
    (
        "process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.",
    ),
    ("process_open_fds", "Number of open file descriptors."),
    (
        "process_max_fds",
        "Maximum number of open file descriptors.",
    ),
    (
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
    ),
    (
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
    ),
    (
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes.",
    ),
];

/// `signin_build_info{version,commit} 1`.
pub fn render_build_info(out: &mut String) {
    out.push_str("# HELP signin_build_info The version and commit of the running binary.\n# TYPE signin_build_info gauge\n");
    let _ = writeln!(
        out,
        "signin_build_info{{version=\"{}\",commit=\"{}\"}} 1",
        super::escape(VERSION),
        super::escape(COMMIT)
    );
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    utime: u64,
    stime: u64,
    start_ticks: u64,
}

/// The fields of `/proc/self/stat` we use. The second field (the command name, in parentheses)
/// may hold spaces and parentheses itself, so fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let after = &text[text.rfind(')')? + 1..];
    // After the name: field 3 (state) is index 0, so field n is index n - 3.
    let f: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| f.get(n - 3)?.parse::<u64>().ok();
    Some(Stat {
        utime: field(14)?,
        stime: field(15)?,
        start_ticks: field(22)?,
    })
}

/// `btime` of `/proc/stat`: the boot time, in seconds since the epoch.
fn parse_boot_time(text: &str) -> Option<u64> {
    number_after(text, "btime ")
}

/// The soft limit on open files from `/proc/self/limits` (`unlimited` is left out).
fn parse_max_fds(text: &str) -> Option<u64> {
    number_after(text, "Max open files")
}

/// A `kB` line of `/proc/self/status`, in bytes.
fn status_kib(text: &str, key: &str) -> Option<u64> {
    number_after(text, key)?.checked_mul(1024)
}

/// The first word after `key` on the first line that starts with it, as a number.
fn number_after(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_name() {
        let line = "4242 (odd) name (x)) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 75 0 0 20 0 9 0 123456 987654 321 18446744073709551615";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                utime: 250,
                stime: 75,
                start_ticks: 123456
            })
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 1 2"), None);
    }

    #[test]
    fn limits_boot_time_and_status_lines() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n";
        assert_eq!(parse_max_fds(limits), Some(1024));
        assert_eq!(
            parse_max_fds(
                "Max open files            unlimited            unlimited            files\n"
            ),
            None
        );
        assert_eq!(
            parse_boot_time("cpu 1 2 3\nbtime 1700000000\n"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_boot_time("cpu 1 2 3\n"), None);
        let status = "Name:\tsignin\nVmSize:\t  123456 kB\nVmRSS:\t    2048 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(2048 * 1024));
        assert_eq!(status_kib(status, "VmSize:"), Some(123_456 * 1024));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn unreadable_values_leave_their_series_out() {
        let mut out = String::new();
        ProcessStats::default().render(&mut out);
        assert_eq!(out, "");
        let mut out = String::new();
        ProcessStats {
            open_fds: Some(7),
            ..Default::default()
        }
        .render(&mut out);
        assert_eq!(
            out,
            "# HELP process_open_fds Number of open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds 7\n"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_read_on_linux() {
        let s = ProcessStats::read();
        assert!(s.resident_bytes.is_some_and(|b| b > 0), "{s:?}");
        assert!(s.virtual_bytes >= s.resident_bytes, "{s:?}");
        assert!(s.open_fds.is_some_and(|n| n > 0), "{s:?}");
        assert!(
            s.max_fds.is_none_or(|n| n >= s.open_fds.unwrap_or(0)),
            "{s:?}"
        );
        assert!(s.cpu_seconds.is_some(), "{s:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = s.start_time_seconds.unwrap();
        assert!(
            start <= now + 1.0 && start > now - 86_400.0,
            "{start} vs {now}"
        );
    }
}
