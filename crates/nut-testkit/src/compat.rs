//! Comparing one of our client programs with Debian's on the same server: the same exit
//! code, the same stdout, and the same stderr once our additions (`<prog>: hint: ...` and
//! `<prog>: note: ...` lines) and Debian's `Init SSL` noise are removed. Our programs may
//! report NUT 2.8.5 where Debian's say 2.8.0: in banner lines (`Network UPS Tools <prog>
//! <version>`) only, our version is replaced by Debian's before comparing
//! ([`normalize_banner_version`]).
//!
//! The server is Debian's upsd with Debian's dummy-ups, or our upsd with
//! `NUT_TEST_UPSD=ours`, so the same tests check our clients and our server.
//!
//! Also here: [`Blackhole`], a loopback port where connects get no answer (for `-W`), and
//! [`strip_debug`], which removes NUT's debug lines and prefixes from a `-D` run's stderr.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use crate::stack::{Impl, Output, Stack};

/// The `.dev` file behind both UPSes of [`client_stack`]: a status, a battery charge, a
/// voltage and a writable `ups.delay.shutdown` for upsrw.
pub const CLIENT_DEV: &str =
    "ups.status: OL CHRG\nbattery.charge: 95\ninput.voltage: 230.0\nups.delay.shutdown: 20\n";

/// The upsd the compatibility tests talk to: ours when `NUT_TEST_UPSD=ours`, else Debian's.
pub fn upsd_under_test() -> Impl {
    if std::env::var("NUT_TEST_UPSD").as_deref() == Ok("ours") {
        Impl::Ours
    } else {
        Impl::Debian
    }
}

/// A stack for the client compatibility tests: `ups1` (desc `Test UPS one`) and `ups2`, both
/// Debian's dummy-ups reading [`CLIENT_DEV`] from `dir`, behind [`upsd_under_test`]. `None`,
/// after a printed notice, when Debian's NUT is not installed (see
/// [`crate::require_debian_nut`]); `test` names the test in that notice.
pub fn client_stack(dir: &Path, test: &str) -> Option<Stack> {
    if !crate::require_debian_nut(test) {
        return None;
    }
    let dev = dir.join("ups1.dev");
    std::fs::write(&dev, CLIENT_DEV).expect("write .dev");
    let s = Stack::builder()
        .dummy("ups1", &dev, Impl::Debian)
        .desc("Test UPS one")
        .dummy("ups2", &dev, Impl::Debian)
        .upsd(upsd_under_test())
        .start()
        .expect("start the NUT stack");
    Some(s)
}

/// The stderr of a run with our additions removed (`ours`), or Debian's `Init SSL` noise.
pub fn clean_stderr(o: &Output, ours: bool, prog: &str) -> String {
    let (hint, note) = (format!("{prog}: hint: "), format!("{prog}: note: "));
    o.err()
        .lines()
        .filter(|l| {
            if ours {
                !l.starts_with(&hint) && !l.starts_with(&note)
            } else {
                !l.starts_with("Init SSL without certificate database")
            }
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Run Debian's `/usr/bin/<prog>` and ours with `args` against the stack and assert the same
/// exit code, stdout and cleaned stderr. Returns our output for further checks.
pub fn compare_with_debian(s: &Stack, prog: &str, args: &[&str]) -> Output {
    compare_with_debian_flags(s, prog, &[], args)
}

/// [`compare_with_debian`] where our program also gets `ours_first` before `args`: flags
/// Debian's 2.8.0 lacks and that must not change the result (`-D`, `-W 5`). Lines of a debug
/// run are compared once [`strip_debug`] has removed the debug lines and time prefixes.
pub fn compare_with_debian_flags(s: &Stack, prog: &str, ours_first: &[&str], args: &[&str]) -> Output {
    let deb =
        s.run(Path::new(&format!("/usr/bin/{prog}")), args, Duration::from_secs(20)).expect("run Debian's");
    let our_args: Vec<&str> = ours_first.iter().chain(args).copied().collect();
    let ours = s.run(&crate::bin(prog), &our_args, Duration::from_secs(20)).expect("run ours");
    let what = format!("{prog} {our_args:?}");
    assert_eq!(ours.code, deb.code, "{what}: exit code");
    let deb_version = debian_version();
    let same = |ours: &str| normalize_banner_version(ours, deb_version);
    assert_eq!(same(&ours.out()), deb.out(), "{what}: stdout");
    let mut cleaned = ours.clone();
    cleaned.stderr = strip_debug(&ours.err()).into_bytes();
    let (de, oe) = (clean_stderr(&deb, false, prog), clean_stderr(&cleaned, true, prog));
    // glibc names the program by its path in flag errors; the paths differ.
    let oe = oe.replace(&crate::bin(prog).display().to_string(), &format!("/usr/bin/{prog}"));
    assert_eq!(same(&oe), de, "{what}: stderr");
    assert!(!ours.err().contains("Init SSL"), "no SSL noise");
    ours
}

/// The version Debian's clients report (`2.8.0`), read once from `upsc -V`.
pub fn debian_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let out = std::process::Command::new("/usr/bin/upsc").arg("-V").output();
        let text = out
            .map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)));
        text.ok()
            .and_then(|t| t.lines().find_map(|l| banner_parts(l).map(|(_, v)| v.to_string())))
            .unwrap_or_else(|| "2.8.0".to_string())
    })
}

/// `(program, version)` of a banner line `Network UPS Tools <program> <version>`.
fn banner_parts(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("Network UPS Tools ")?;
    let (prog, version) = rest.split_once(' ')?;
    let numeric = !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    (numeric && !prog.is_empty()).then_some((prog, version))
}

/// Our version strings (NUT 2.8.5 release forms, from `nut_core`) rewritten as Debian's NUT
/// `deb_version` (2.8.0) writes them, so that output can be compared byte for byte with
/// Debian's. Only these forms change; any other difference stays:
/// - banners `Network UPS Tools <prog> 2.8.5 release` -> `Network UPS Tools <prog> 2.8.0`;
/// - upsdrvctl's `Network UPS Tools upsdrvctl - UPS driver controller 2.8.5 release` ->
///   `Network UPS Tools - UPS driver controller 2.8.0`;
/// - a driver's `Network UPS Tools 2.8.5 release - <name> <ver>` ->
///   `Network UPS Tools - <name> <ver> (2.8.0)`;
/// - upsd's `VER`/`server.info` `Network UPS Tools upsd 2.8.5 - https://...` -> 2.8.0's with
///   `http://www.networkupstools.org/`;
/// - the values of `driver.version` and `server.version` in upsc, protocol (`VAR`) and driver
///   socket (`SETINFO`) lines.
pub fn as_debian(text: &str, deb_version: &str) -> String {
    let ours = nut_core::NUT_VERSION;
    let desc = nut_core::NUT_VERSION_DESCRIPTION;
    let server_info = nut_core::server_info();
    let deb_server_info = format!("Network UPS Tools upsd {deb_version} - http://www.networkupstools.org/");
    text.split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end_matches(['\n', '\r']);
            let end = &line[body.len()..];
            let body = body.replace(&server_info, &deb_server_info);
            if let Some(rest) = body.strip_prefix(&format!("Network UPS Tools {desc} - ")) {
                return format!("Network UPS Tools - {rest} ({deb_version}){end}");
            }
            if body == format!("Network UPS Tools upsdrvctl - UPS driver controller {desc}") {
                return format!("Network UPS Tools - UPS driver controller {deb_version}{end}");
            }
            if let Some(prog) =
                body.strip_prefix("Network UPS Tools ").and_then(|r| r.strip_suffix(&format!(" {desc}")))
            {
                if !prog.contains(' ') {
                    return format!("Network UPS Tools {prog} {deb_version}{end}");
                }
            }
            for var in ["driver.version", "server.version"] {
                let forms = [
                    (format!("{var}: {ours}"), format!("{var}: {deb_version}")),
                    (format!(" {var} \"{ours}\""), format!(" {var} \"{deb_version}\"")),
                ];
                for (o, d) in forms {
                    if body.ends_with(&o) {
                        return format!("{}{d}{end}", &body[..body.len() - o.len()]);
                    }
                }
            }
            format!("{body}{end}")
        })
        .collect()
}

/// Banner lines only of [`as_debian`] (kept for the tests written against it).
pub fn normalize_banner_version(text: &str, deb_version: &str) -> String {
    as_debian(text, deb_version)
}

/// stderr of a `-D` run without NUT's debug additions: lines tagged `[D<n>]` (after NUT's
/// elapsed-time prefix `   0.000123\t`) are dropped and the prefix is removed from the others,
/// which leaves what the program prints without debugging. Text without the prefix is kept.
pub fn strip_debug(stderr: &str) -> String {
    stderr
        .lines()
        .filter_map(|l| {
            let body = debug_prefix_len(l).map_or(l, |n| &l[n..]);
            (!body.starts_with("[D")).then(|| format!("{body}\n"))
        })
        .collect()
}

/// The length of NUT's elapsed-time prefix (`%4.0f.%06ld\t`) at the start of `line`.
pub fn debug_prefix_len(line: &str) -> Option<usize> {
    let tab = line.find('\t')?;
    let (secs, micros) = line[..tab].trim_start().split_once('.')?;
    let ok = !secs.is_empty()
        && secs.bytes().all(|b| b.is_ascii_digit())
        && micros.len() == 6
        && micros.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(tab + 1)
}

/// A loopback port where a TCP connect gets no answer: a listener that never accepts, with a
/// backlog of 0 that is already full, so the kernel drops further SYNs and a client's connect
/// hangs until its own timeout (NUT's `-W`). Keep it alive while the port is used.
#[derive(Debug)]
pub struct Blackhole {
    _listener: TcpListener,
    _queued: Vec<TcpStream>,
    /// The port.
    pub port: u16,
}

impl Blackhole {
    /// Make one; `None` when this kernel answers anyway (then a `-W` test cannot run).
    pub fn new() -> Option<Blackhole> {
        let listener = TcpListener::bind("127.0.0.1:0").ok()?;
        // SAFETY: listen(2) on our own listening socket only changes its backlog.
        if unsafe { libc::listen(listener.as_raw_fd(), 0) } != 0 {
            return None;
        }
        let addr: SocketAddr = listener.local_addr().ok()?;
        let mut queued = Vec::new();
        // Fill the accept queue: connects succeed until it is full, then time out.
        for _ in 0..8 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                Ok(s) => queued.push(s),
                Err(_) => break,
            }
        }
        let silent = TcpStream::connect_timeout(&addr, Duration::from_millis(500))
            .err()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut);
        silent.then_some(Blackhole { _listener: listener, _queued: queued, port: addr.port() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_version_strings_read_as_debians() {
        let ours = "Network UPS Tools upsc 2.8.5 release\n\
                    ups.firmware: 2.8.5\n\
                    driver.version: 2.8.5\n\
                    Network UPS Tools upsc 2.8.5 release extra\n\
                    VAR u driver.version \"2.8.5\"\r\n\
                    SETINFO driver.version \"2.8.5\"\n\
                    VAR u server.version \"2.8.5\"\n\
                    Network UPS Tools upsd 2.8.5 - https://www.networkupstools.org/historic/v2.8.5/index.html\n\
                    Network UPS Tools 2.8.5 release - Device simulation and repeater driver 0.20\n\
                    Network UPS Tools upsdrvctl - UPS driver controller 2.8.5 release\n";
        assert_eq!(
            as_debian(ours, "2.8.0"),
            "Network UPS Tools upsc 2.8.0\n\
             ups.firmware: 2.8.5\n\
             driver.version: 2.8.0\n\
             Network UPS Tools upsc 2.8.5 release extra\n\
             VAR u driver.version \"2.8.0\"\r\n\
             SETINFO driver.version \"2.8.0\"\n\
             VAR u server.version \"2.8.0\"\n\
             Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n\
             Network UPS Tools - Device simulation and repeater driver 0.20 (2.8.0)\n\
             Network UPS Tools - UPS driver controller 2.8.0\n"
        );
        assert_eq!(as_debian("x\r\n", "2.8.0"), "x\r\n");
        assert_eq!(as_debian("no newline", "2.8.0"), "no newline");
    }

    #[test]
    fn debug_lines_are_stripped() {
        let err = "   0.000212\t[D1] Starting NUT client: upsc\n   0.001000\tError: Unknown UPS\nplain line\n  12.000001\t[D2:77] x\n";
        assert_eq!(strip_debug(err), "Error: Unknown UPS\nplain line\n");
        assert_eq!(debug_prefix_len("   0.000212\tx"), Some(12));
        assert_eq!(debug_prefix_len("a.b\tx"), None);
    }
}
