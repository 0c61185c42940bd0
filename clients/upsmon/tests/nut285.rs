//! upsmon behaviour of NUT 2.8.1-2.8.5 end to end: DEBUG_MIN at start and on reload, `-f`,
//! `-W`, ECO from the vendor mode buzzwords, a stopped process or clock jump handled as a
//! wake-up from sleep, and an NSS certificate database refused with the conversion command.
//! Where Debian's upsmon 2.8.0 has the feature it runs the same steps.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::os::fd::FromRawFd;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Impl, MonConf, Stack, Upsmon, ONLINE_DEV};
use nut_testkit::{wait_until, TempDir};

fn has_note(m: &Upsmon, note: &str) -> bool {
    m.notes().iter().any(|(_, n)| n == note)
}

fn count(m: &Upsmon, text: &str) -> usize {
    m.log().matches(text).count()
}

/// DEBUG_MIN raises the level at start (no -D); one added before a reload raises it in the
/// running daemon. Debian's upsmon 2.8.0 and ours alike: both then log their `[D1]` lines.
fn debug_min_steps(which: Impl) {
    let mut stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let mut mc = MonConf::on(&stack, &[("ups1", "primary")]);
    mc.extra = "DEBUG_MIN 1\n".into();
    let m = Upsmon::start(which, &mc);
    let what = format!("{which:?} upsmon");
    assert!(
        wait_until(Duration::from_secs(10), || m.log().contains("[D1] Trying to connect to UPS [ups1@")),
        "{what}: DEBUG_MIN 1 at start gives debug lines\n{}",
        m.log()
    );
    drop(m);

    mc.extra = String::new();
    let m = Upsmon::start(which, &mc);
    assert!(wait_until(Duration::from_secs(10), || stack.numlogins("ups1") == Some(1)));
    assert!(!m.log().contains("[D1]"), "{what}: no debug lines without DEBUG_MIN\n{}", m.log());
    m.edit_conf("MINSUPPLIES", "MINSUPPLIES 1\nDEBUG_MIN 1");
    m.signal(libc::SIGHUP);
    assert!(wait_until(Duration::from_secs(10), || m.log().contains("Reloading configuration")));
    // The reload finishes before the next poll, and the failed polls repeat every second.
    stack.stop_upsd();
    assert!(
        wait_until(Duration::from_secs(15), || m.log().contains("[D1] Trying to connect to UPS [ups1@")),
        "{what}: DEBUG_MIN added before a reload raises the level at once\n{}",
        m.log()
    );
    stack.start_upsd();
}

#[test]
fn debug_min_at_start_and_on_reload_like_nut() {
    if common::debian_available("DEBUG_MIN") {
        debug_min_steps(Impl::Debian);
    }
    debug_min_steps(Impl::Ours);
}

#[test]
fn a_reload_without_debug_min_returns_to_the_command_line_level() {
    // NUT 2.8.5 (2.8.0 kept the raised level until a restart).
    let mut stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let mut mc = MonConf::on(&stack, &[("ups1", "primary")]);
    mc.extra = "DEBUG_MIN 1\n".into();
    let m = Upsmon::start(Impl::Ours, &mc);
    assert!(wait_until(Duration::from_secs(10), || stack.numlogins("ups1") == Some(1)));
    m.edit_conf("DEBUG_MIN", "# DEBUG_MIN commented away");
    m.signal(libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || m
            .log()
            .contains("Applying debug level 0 from original command line arguments")),
        "{}",
        m.log()
    );
    let before = count(&m, "[D1] Trying to connect");
    stack.stop_upsd();
    assert!(wait_until(Duration::from_secs(10), || has_note(&m, "COMMBAD ups1")));
    // Each reconnection attempt ends in NUT's connect failure line; after two more of them,
    // their debug lines would be in the log too.
    let failed = count(&m, "]: connect failed: ");
    assert!(
        wait_until(Duration::from_secs(10), || count(&m, "]: connect failed: ") >= failed + 2),
        "NUT's connect failure line for each attempt: {}",
        m.log()
    );
    assert_eq!(count(&m, "[D1] Trying to connect"), before, "debugging is off again\n{}", m.log());
    stack.start_upsd();
}

#[test]
fn dash_f_names_the_configuration_file_like_nut() {
    let dir = TempDir::new().expect("temp dir");
    let d = dir.path();
    let other = d.join("other.conf");
    std::fs::write(
        &other,
        format!(
            "MONITOR ups1@127.0.0.1:1 0 u p secondary\nMINSUPPLIES 0\nPOWERDOWNFLAG {}/killpower\n",
            d.display()
        ),
    )
    .expect("write");
    let mut progs = vec![common::OURS.to_string()];
    if common::debian_available("upsmon -f") {
        progs.push("/lib/nut/upsmon".into());
    }
    for prog in progs {
        let k = |flag: bool| {
            if flag {
                std::fs::write(d.join("killpower"), "upsmon-shutdown-file\n").expect("flag");
            } else {
                let _ = std::fs::remove_file(d.join("killpower"));
            }
            // NUT_CONFPATH points elsewhere: only -f can name the file.
            Command::new("unshare")
                .args(["-m", "sh", "-c"])
                .arg(format!(
                    "mkdir -p /run/nut && mount -t tmpfs tmpfs /run/nut && exec {prog} -f {} -K",
                    other.display()
                ))
                .env("NUT_CONFPATH", "/nonexistent")
                .output()
                .expect("run upsmon")
                .status
                .code()
        };
        assert_eq!(k(true), Some(0), "{prog}: flag set");
        assert_eq!(k(false), Some(1), "{prog}: flag not set");
    }
}

/// A listener whose accept queue is full: connections to it hang until the client gives up.
struct Blackhole {
    _listener: std::net::TcpListener,
    _queued: Vec<TcpStream>,
    port: u16,
}

impl Blackhole {
    fn new() -> Blackhole {
        // SAFETY: plain socket calls on a descriptor we own; it is handed to a TcpListener
        // that closes it.
        let listener = unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0, "socket");
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let rc = libc::bind(
                fd,
                &addr as *const libc::sockaddr_in as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            );
            assert_eq!(rc, 0, "bind");
            assert_eq!(libc::listen(fd, 0), 0, "listen");
            std::net::TcpListener::from_raw_fd(fd)
        };
        let port = listener.local_addr().expect("addr").port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let queued = (0..3)
            .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok())
            .collect();
        Blackhole { _listener: listener, _queued: queued, port }
    }
}

#[test]
fn dash_w_bounds_the_connect_time() {
    // upsmon(8) 2.8.5: -W secs sets the timeout of new connections (default 10 s).
    let hole = Blackhole::new();
    let probe = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], hole.port)),
        Duration::from_millis(300),
    );
    if probe.is_ok() {
        // Some kernels (tcp_abort_on_overflow) refuse at once instead: then a connection never
        // hangs and there is nothing for -W to bound.
        nut_testkit::skip(
            "dash_w_bounds_the_connect_time",
            "a connection to a full listen queue does not hang on this machine",
            nut_testkit::Prereq::Machine,
        );
        return;
    }
    let mc = MonConf {
        monitors: vec![("ups1", "primary", "mon")],
        host: "127.0.0.1".into(),
        port: hole.port,
        extra: String::new(),
        wrap: Vec::new(),
        flags: "-W 1".into(),
    };
    let t = Instant::now();
    let m = Upsmon::start(Impl::Ours, &mc);
    assert!(
        wait_until(Duration::from_secs(8), || has_note(&m, "COMMBAD ups1")),
        "no connect failure within 8 s: -W 1 ignored?\n{}",
        m.log()
    );
    assert!(t.elapsed() < Duration::from_secs(6), "took {:?}", t.elapsed());
    assert!(
        m.log().contains(&format!("UPS [ups1@127.0.0.1:{}]: connect failed: ", hole.port)),
        "{}",
        m.log()
    );

    let mut bad = mc;
    bad.flags = "-W soon".into();
    let m = Upsmon::start(Impl::Ours, &bad);
    assert!(
        wait_until(Duration::from_secs(5), || m.log().contains(
            "upscli_init_default_connect_timeout: cli_secs='soon' value was not recognized, ignored"
        )),
        "an invalid -W is reported and ignored, as NUT does\n{}",
        m.log()
    );
}

#[test]
fn eco_comes_from_the_vendor_mode_buzzwords() {
    // NUT 2.8.5 reads ups.mode.buzzwords and experimental.ups.mode.buzzwords every poll:
    // vendor:<vendor>:ECO/ESS/HE/SMART is ECO mode. Against Debian's upsd and ours.
    for upsd in [Impl::Ours, Impl::Debian] {
        if upsd == Impl::Debian && !common::debian_available("ECO buzzwords") {
            continue;
        }
        let stack = Stack::new(
            upsd,
            &[("ups1", "ups.status: OL\nups.mode.buzzwords: vendor:mge-hid:normal\n", "dev")],
        );
        let m = Upsmon::start(Impl::Ours, &MonConf::on(&stack, &[("ups1", "primary")]));
        assert!(wait_until(Duration::from_secs(10), || stack.numlogins("ups1") == Some(1)));
        std::thread::sleep(Duration::from_secs(2));
        assert!(m.notes().is_empty(), "{upsd:?} upsd: a normal mode is not ECO: {:?}", m.notes());
        stack.write_dev("ups1", "ups.status: OL\nups.mode.buzzwords: vendor:apc:HE\n");
        assert!(
            wait_until(Duration::from_secs(10), || has_note(&m, "ECO ups1")),
            "{upsd:?}: {:?}",
            m.notes()
        );
        stack.write_dev("ups1", "ups.status: OL\nups.mode.buzzwords: vendor:apc:normal\n");
        assert!(
            wait_until(Duration::from_secs(10), || has_note(&m, "NOTECO ups1")),
            "{upsd:?}: {:?}",
            m.notes()
        );
        stack.write_dev("ups1", "ups.status: OL\nexperimental.ups.mode.buzzwords: vendor:mge-hid:ESS\n");
        assert!(
            wait_until(Duration::from_secs(10), || m.notes().iter().filter(|(_, n)| n == "ECO ups1").count()
                == 2),
            "{upsd:?}: {:?}",
            m.notes()
        );
        let kinds: Vec<String> = m.notes().into_iter().map(|(_, n)| n).collect();
        assert_eq!(kinds, ["ECO ups1", "NOTECO ups1", "ECO ups1"], "{upsd:?} upsd");
    }
}

#[test]
fn a_stopped_process_resumes_like_a_wake_up_from_sleep() {
    // NUT 2.8.5: a wait that took more than 5 s longer than asked (suspend, a debugger, a
    // stopped process, the clock set forward) is handled as a wake-up: SUSPEND_FINISHED, the
    // readings forgotten (so the UPS's state is notified afresh), fresh connections.
    let stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let m = Upsmon::start(Impl::Ours, &MonConf::on(&stack, &[("ups1", "primary")]));
    assert!(wait_until(Duration::from_secs(10), || stack.numlogins("ups1") == Some(1)));
    std::thread::sleep(Duration::from_secs(1));
    assert!(m.notes().is_empty(), "{:?}", m.notes());
    // NUT measures the wall clock across its sleep between polls, as we do: a stop that
    // catches upsmon in the middle of a poll (rare: polls take milliseconds) is a slow poll,
    // not a jump. Try again then.
    for _ in 0..3 {
        m.signal(libc::SIGSTOP);
        std::thread::sleep(Duration::from_secs(7));
        m.signal(libc::SIGCONT);
        if wait_until(Duration::from_secs(4), || has_note(&m, "SUSPEND_FINISHED")) {
            break;
        }
    }
    assert!(
        wait_until(Duration::from_secs(10), || has_note(&m, "ONLINE ups1")),
        "{:?}\n{}",
        m.notes(),
        m.log()
    );
    // The notifier runs are concurrent: compare the set, and the order in upsmon's own log.
    let mut kinds: Vec<String> = m.notes().into_iter().map(|(_, n)| n).collect();
    kinds.sort();
    assert_eq!(kinds, ["ONLINE ups1", "SUSPEND_FINISHED", "SUSPEND_TIMEJUMP_UNEXPECTED"], "{}", m.log());
    let log = m.log();
    let order = [
        "It seems we have slept without warning or the system clock was changed by ",
        "Unexpected clock change by ",
        "OS just finished sleep/suspend/hibernate mode",
        "upsmon: Processing OS wake-up after sleep; ",
        "UPS ups1@",
    ];
    let pos: Vec<Option<usize>> = order.iter().map(|t| log.find(t)).collect();
    assert!(pos.iter().all(Option::is_some) && pos.windows(2).all(|w| w[0] < w[1]), "{log}");
    assert!(wait_until(Duration::from_secs(10), || stack.numlogins("ups1") == Some(1)), "logged in again");
}

#[test]
fn an_nss_database_is_refused_with_the_conversion_command() {
    if !nut_testkit::require(
        "an_nss_database_is_refused_with_the_conversion_command",
        nut_testkit::Prereq::NssTools,
    ) {
        return;
    }
    let dir = TempDir::new().expect("temp dir");
    let d = dir.path();
    let db = d.join("cert");
    std::fs::create_dir(&db).expect("mkdir");
    let st = Command::new("certutil")
        .args(["-N", "--empty-password", "-d"])
        .arg(format!("sql:{}", db.display()))
        .status()
        .expect("certutil");
    assert!(st.success(), "certutil -N");
    std::fs::write(
        d.join("upsmon.conf"),
        format!(
            "MONITOR ups1@127.0.0.1:1 1 mon pw primary\nSHUTDOWNCMD /bin/true\nCERTPATH {}\nCERTIDENT \"upsmon client\" secret\n",
            db.display()
        ),
    )
    .expect("write");
    Command::new("chmod").arg("600").arg(d.join("upsmon.conf")).status().expect("chmod");
    let run = |args: &[&str]| {
        Command::new(common::OURS)
            .args(args)
            .env("NUT_CONFPATH", d)
            .env("NUT_ALTPIDPATH", d)
            .output()
            .expect("run upsmon")
    };
    let conv = format!("nut-tls-setup --from-nss {}", db.display());
    let out = run(&["--check-config"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "upsmon.conf:3: error: CERTPATH {} is an NSS certificate database",
            db.display()
        )),
        "{text}"
    );
    assert!(text.contains(&conv), "{text}");
    assert!(text.contains("upsmon.conf:4: error: CERTIDENT \"upsmon client\""), "{text}");
    // Starting is refused the same way (TLS would otherwise be silently off).
    let out = run(&["-F", "-p"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&conv), "{err}");
}

#[test]
fn a_reloaded_shutdowncmd_is_used_without_privilege_separation() {
    // NUT: with -p the one process runs the new SHUTDOWNCMD after a reload (with a
    // privileged parent it warns that a restart is needed).
    let stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let m = Upsmon::start(Impl::Ours, &MonConf::on(&stack, &[("ups1", "secondary")]));
    assert!(wait_until(Duration::from_secs(10), || stack.numlogins("ups1") == Some(1)));
    let other = m.dir.path().join("other.marker");
    m.edit_conf("SHUTDOWNCMD", &format!("SHUTDOWNCMD \"touch {}\"", other.display()));
    m.signal(libc::SIGHUP);
    assert!(wait_until(Duration::from_secs(10), || m.log().contains("Reloading configuration")));
    // upsmon handles signals one after the other in its loop: the reload under way ends
    // before the FSD request is looked at.
    m.signal(libc::SIGUSR1);
    assert!(
        wait_until(Duration::from_secs(10), || other.exists()),
        "the new SHUTDOWNCMD did not run\n{}",
        m.log()
    );
    assert!(!m.shut_down(), "the old SHUTDOWNCMD ran");
}
