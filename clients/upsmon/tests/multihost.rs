//! Several hosts, each in its own network namespace created by the test: a primary (our
//! dummy-ups, upsd and upsmon) and three secondaries (upsmon only, `MONITOR ups1@10.200.0.1`),
//! joined by a bridge in a fifth "switch" namespace. Nothing is added to the machine's own
//! network namespace. SHUTDOWNCMD only writes a timestamped marker.
//!
//! On low battery the three secondaries must run SHUTDOWNCMD before the primary, which waits
//! for their logouts and then writes POWERDOWNFLAG; when power returns before low battery,
//! nobody shuts down. Skipped (with a notice) when not root or when `ip netns` fails.

mod common;

use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Impl, MonConf, Stack, Upsmon, ONLINE_DEV};
use nut_testkit::wait_until;

const PRIMARY_ADDR: &str = "10.200.0.1";

/// The namespaces of one test; deleted on drop (which also removes the veths and bridge).
struct Net {
    names: Vec<String>,
}

impl Net {
    /// A switch namespace with a bridge and `hosts` namespaces with `eth0` = 10.200.0.(i+1).
    fn create(tag: &str, hosts: usize) -> Result<Net, String> {
        let base = format!("nutmh{}{tag}", std::process::id());
        let mut net = Net { names: Vec::new() };
        let sw = format!("{base}sw");
        net.add(&sw)?;
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &sw, "link", "set", "br0", "up"])?;
        for i in 0..hosts {
            let ns = format!("{base}h{i}");
            net.add(&ns)?;
            let port = format!("p{i}");
            ip(&["-n", &sw, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns])?;
            ip(&["-n", &sw, "link", "set", &port, "master", "br0", "up"])?;
            ip(&["-n", &ns, "addr", "add", &format!("10.200.0.{}/24", i + 1), "dev", "eth0"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        }
        Ok(net)
    }

    fn add(&mut self, name: &str) -> Result<(), String> {
        ip(&["netns", "add", name])?;
        self.names.push(name.to_string());
        Ok(())
    }

    /// Host `i`'s namespace (0 is the primary).
    fn host(&self, i: usize) -> &str {
        &self.names[i + 1]
    }

    /// `ip netns exec <host i>`, the prefix that runs a program on that host.
    fn wrap(&self, i: usize) -> Vec<String> {
        ["ip", "netns", "exec", self.host(i)].iter().map(|s| s.to_string()).collect()
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for n in self.names.iter().rev() {
            let _ = ip(&["netns", "del", n]);
        }
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("ip {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Runs `f` on a thread that has joined network namespace `ns` (only that thread moves).
fn in_netns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let file = std::fs::File::open(format!("/run/netns/{ns}")).expect("open netns");
            // SAFETY: setns on this thread only, with a valid namespace fd kept open meanwhile.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {ns}: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// Creates the network, or says why the test is skipped.
fn network(tag: &str, hosts: usize) -> Option<Net> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        nut_testkit::skip(
            &format!("multi-host test {tag}"),
            "needs root to create network namespaces",
            nut_testkit::Prereq::Root,
        );
        return None;
    }
    match Net::create(tag, hosts) {
        Ok(n) => Some(n),
        Err(e) => {
            let why = format!("cannot create network namespaces ({e})");
            nut_testkit::skip(&format!("multi-host test {tag}"), &why, nut_testkit::Prereq::NetNamespaces);
            None
        }
    }
}

fn numlogins(net: &Net, port: u16) -> Option<u32> {
    in_netns(net.host(0), || {
        nut_client::Client::connect(PRIMARY_ADDR, port).and_then(|mut c| c.get_numlogins("ups1")).ok()
    })
}

/// A primary and three secondaries (`secondaries` says whose upsmon each runs).
struct Site {
    stack: Stack,
    primary: Upsmon,
    secondaries: Vec<Upsmon>,
    // Declared last: the namespaces go after every process in them has stopped.
    net: Net,
}

fn site(net: Net, secondaries: &[Impl]) -> Site {
    let w = net.wrap(0);
    let wrap: Vec<&str> = w.iter().map(String::as_str).collect();
    let stack = Stack::new_in(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")], PRIMARY_ADDR, &wrap);
    let conf = |host: usize, role: &'static str, user: &'static str, which: Impl| MonConf {
        monitors: vec![("ups1", role, user)],
        host: PRIMARY_ADDR.into(),
        port: stack.port,
        // A long HOSTSYNC, so a primary that waits for it instead of the logouts is seen.
        extra: if which == Impl::Ours { "HOSTSYNC 20\nSHUTDOWNEXIT yes\n" } else { "HOSTSYNC 20\n" }.into(),
        wrap: net.wrap(host),
        flags: String::new(),
    };
    let secs: Vec<Upsmon> = secondaries
        .iter()
        .enumerate()
        .map(|(i, which)| Upsmon::start(*which, &conf(i + 1, "secondary", "sec", *which)))
        .collect();
    let primary = Upsmon::start(Impl::Ours, &conf(0, "primary", "mon", Impl::Ours));
    let n = secondaries.len() as u32 + 1;
    let all_in = wait_until(Duration::from_secs(20), || numlogins(&net, stack.port) == Some(n));
    assert!(
        all_in,
        "not every upsmon logged in (NUMLOGINS {:?}, want {n});\nprimary:\n{}\nsecondary 1:\n{}\nupsd:\n{}",
        numlogins(&net, stack.port),
        primary.log(),
        secs[0].log(),
        stack.upsd_log()
    );
    Site { stack, primary, secondaries: secs, net }
}

fn low_battery_shuts_secondaries_down_first(secondaries: &[Impl]) {
    let tag = if secondaries.contains(&Impl::Debian) { "d" } else { "o" };
    let Some(net) = network(tag, secondaries.len() + 1) else { return };
    let mut s = site(net, secondaries);
    s.stack.set("ups1", "OB DISCHRG");
    std::thread::sleep(Duration::from_secs(2));
    s.stack.set("ups1", "OB DISCHRG LB");
    let done = wait_until(Duration::from_secs(40), || s.primary.shut_down());
    let logs = |s: &Site| {
        let mut t = format!("primary:\n{}\n", s.primary.log());
        for (i, m) in s.secondaries.iter().enumerate() {
            t.push_str(&format!("secondary {} ({:?}):\n{}\n", i + 1, m.which, m.log()));
        }
        t
    };
    assert!(done, "the primary did not shut down\n{}", logs(&s));
    let p = s.primary.shutdown_at().unwrap_or(0);
    let mut last_secondary = 0;
    for (i, m) in s.secondaries.iter_mut().enumerate() {
        let Some(t) = m.shutdown_at() else {
            panic!("secondary {} did not run SHUTDOWNCMD\n{}", i + 1, logs(&s));
        };
        assert!(t < p, "secondary {} shut down after the primary ({t} vs {p})", i + 1);
        last_secondary = last_secondary.max(t);
        let notes: Vec<String> = m.notes().into_iter().map(|(_, n)| n).collect();
        for want in ["ONBATT ups1", "FSD ups1", "SHUTDOWN"] {
            assert!(notes.iter().any(|n| n == want), "secondary {}: no {want} in {notes:?}", i + 1);
        }
        // It logged out by exiting after SHUTDOWNCMD.
        let exited = wait_until(Duration::from_secs(5), || !m.running());
        assert!(exited, "secondary {} ({:?}) still runs after its shutdown", i + 1, m.which);
    }
    assert!(s.primary.powerdown_flag(), "the primary writes POWERDOWNFLAG");
    let waited = (p - last_secondary) as f64 / 1e9;
    assert!(
        waited < 15.0,
        "the primary waited {waited:.1} s after the last secondary: HOSTSYNC instead of the logouts?\n{}",
        s.primary.log()
    );
    assert!(s.primary.log().contains("All secondaries have logged out"), "{}", s.primary.log());
    eprintln!(
        "secondaries ({secondaries:?}) down, then the primary {waited:.2} s after the last one (POWERDOWNFLAG written)"
    );
    let _ = &s.net;
}

#[test]
fn low_battery_shuts_three_secondaries_down_before_the_primary() {
    low_battery_shuts_secondaries_down_first(&[Impl::Ours, Impl::Ours, Impl::Ours]);
}

#[test]
fn low_battery_with_debians_upsmon_as_one_secondary() {
    if !common::debian_available("multi-host with Debian's upsmon") {
        return;
    }
    low_battery_shuts_secondaries_down_first(&[Impl::Ours, Impl::Ours, Impl::Debian]);
}

#[test]
fn power_back_before_low_battery_shuts_nobody_down() {
    let Some(net) = network("b", 4) else { return };
    let mut s = site(net, &[Impl::Ours, Impl::Ours, Impl::Ours]);
    s.stack.set("ups1", "OB DISCHRG");
    let all_onbatt = wait_until(Duration::from_secs(10), || {
        std::iter::once(&s.primary)
            .chain(s.secondaries.iter())
            .all(|m| m.notes().iter().any(|(_, n)| n == "ONBATT ups1"))
    });
    assert!(all_onbatt, "every host notifies ONBATT");
    std::thread::sleep(Duration::from_secs(2));
    s.stack.set("ups1", "OL CHRG");
    let all_online = wait_until(Duration::from_secs(10), || {
        std::iter::once(&s.primary)
            .chain(s.secondaries.iter())
            .all(|m| m.notes().iter().any(|(_, n)| n == "ONLINE ups1"))
    });
    assert!(all_online, "every host notifies ONLINE");
    std::thread::sleep(Duration::from_secs(3));
    assert!(!s.primary.shut_down() && !s.primary.powerdown_flag(), "the primary must not shut down");
    for (i, m) in s.secondaries.iter_mut().enumerate() {
        assert!(!m.shut_down(), "secondary {} must not shut down", i + 1);
        assert!(m.running(), "secondary {} keeps monitoring", i + 1);
    }
    assert_eq!(numlogins(&s.net, s.stack.port), Some(4), "everybody still logged in");
}
