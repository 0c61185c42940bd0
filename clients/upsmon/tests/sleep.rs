//! SUSPEND_STARTING and SUSPEND_FINISHED from the OS's own announcements, as NUT 2.8.5's
//! upsmon gets them from systemd-logind: a private D-Bus daemon plays the system bus and a
//! fake logind (owning `org.freedesktop.login1`) hands out the "delay" inhibitor lock and
//! sends `PrepareForSleep(true)` and `(false)`.

mod common;

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{Impl, MonConf, Stack, Upsmon, ONLINE_DEV};
use nut_testkit::{wait_until, Proc, TempDir};
use upsmon::sleep::{kind, Bus, Message, SleepMsg, Value};

const MANAGER: &str = "org.freedesktop.login1.Manager";

/// A system-type bus that lets anybody own names and send anything.
fn start_bus(dir: &Path) -> Option<Proc> {
    if Command::new("dbus-daemon").arg("--version").output().is_err() {
        nut_testkit::skip(
            "logind_sleep_announcements_give_suspend_starting_and_finished",
            "dbus-daemon is missing (apt-get install dbus-daemon)",
            nut_testkit::Prereq::Machine,
        );
        return None;
    }
    let conf = dir.join("bus.conf");
    std::fs::write(
        &conf,
        format!(
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
             \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
             <busconfig><type>system</type><listen>unix:path={}/bus</listen><auth>EXTERNAL</auth>\
             <policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>\
             <allow send_destination=\"*\"/><allow send_type=\"signal\"/><allow receive_type=\"signal\"/>\
             <allow send_type=\"method_call\"/><allow receive_type=\"method_call\"/>\
             <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\
             <allow send_requested_reply=\"true\" send_type=\"error\"/>\
             <allow receive_type=\"method_return\"/><allow receive_type=\"error\"/></policy></busconfig>\n",
            dir.display()
        ),
    )
    .expect("bus.conf");
    let mut c = Command::new("dbus-daemon");
    c.arg(format!("--config-file={}", conf.display())).args(["--nofork", "--nopidfile"]);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    let p = Proc::spawn(c);
    let sock = dir.join("bus");
    assert!(
        wait_until(Duration::from_secs(10), || std::os::unix::net::UnixStream::connect(&sock).is_ok()),
        "dbus-daemon did not start"
    );
    Some(p)
}

enum Cmd {
    Sleep(bool),
}

/// The fake logind: owns the name, grants inhibitor locks (the write end of a pipe whose
/// read end comes back to the test with the caller's unique connection name, so the test
/// sees when upsmon lets go of the lock) and sends PrepareForSleep on request.
fn fake_logind(sock: &Path) -> (mpsc::Sender<Cmd>, mpsc::Receiver<(OwnedFd, String)>) {
    let mut bus = Bus::connect(sock).expect("fake logind connects");
    let r = bus
        .call(Message::call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "RequestName",
            vec![Value::Str("org.freedesktop.login1".into()), Value::U32(0)],
        ))
        .expect("RequestName");
    assert_eq!(r.body.first(), Some(&Value::U32(1)), "primary owner of org.freedesktop.login1");
    let (cmd_tx, cmd_rx) = mpsc::channel::<Cmd>();
    let (lock_tx, lock_rx) = mpsc::channel::<(OwnedFd, String)>();
    std::thread::spawn(move || loop {
        match cmd_rx.try_recv() {
            Ok(Cmd::Sleep(b)) => {
                let sig = Message::signal(
                    "/org/freedesktop/login1",
                    MANAGER,
                    "PrepareForSleep",
                    vec![Value::Bool(b)],
                );
                if bus.send(&sig, &[]).is_err() {
                    return;
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => return,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let m = match bus.next_within(Duration::from_millis(50)) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(_) => return,
        };
        if m.kind == kind::CALL && m.member.as_deref() == Some("Inhibit") {
            let mut fds = [0; 2];
            // SAFETY: pipe(2) fills two descriptors that we then own.
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            // SAFETY: fresh descriptors from pipe(2), each wrapped once.
            let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
            let reply = Message::reply(&m, vec![Value::Fd(0)]);
            if bus.send(&reply, &[wr.as_raw_fd()]).is_err() {
                return;
            }
            drop(wr);
            let _ = lock_tx.send((rd, m.sender.clone().unwrap_or_default()));
        }
    });
    (cmd_tx, lock_rx)
}

/// True once every write end of the lock's pipe is closed (upsmon released the lock).
fn released(lock: &OwnedFd) -> bool {
    let mut f = std::fs::File::from(lock.try_clone().expect("dup"));
    // SAFETY: fcntl on a descriptor we own, to read without blocking.
    unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut b = [0u8; 1];
    matches!(f.read(&mut b), Ok(0))
}

fn kinds(m: &Upsmon) -> Vec<String> {
    m.notes().into_iter().map(|(_, n)| n).collect()
}

#[test]
fn logind_sleep_announcements_give_suspend_starting_and_finished() {
    let dir = TempDir::new().expect("temp dir");
    let Some(_bus) = start_bus(dir.path()) else { return };
    let sock = dir.path().join("bus");
    let (cmd, locks) = fake_logind(&sock);
    let stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let addr = format!("unix:path={}", sock.display());
    let m = Upsmon::start_env(
        Impl::Ours,
        &MonConf::on(&stack, &[("ups1", "primary")]),
        &[("DBUS_SYSTEM_BUS_ADDRESS", addr.as_str())],
    );
    assert!(
        wait_until(Duration::from_secs(10), || m
            .log()
            .contains("initialized OS integration for sleep/wake monitoring")),
        "{}",
        m.log()
    );
    assert!(m.log().contains("upsmon: initialized OS integration for sleep inhibitor"), "{}", m.log());
    let (lock, _) = locks.recv_timeout(Duration::from_secs(5)).expect("upsmon asked for a delay lock");
    assert!(!released(&lock), "upsmon holds the lock while nothing happens");
    assert!(wait_until(Duration::from_secs(10), || stack.numlogins("ups1") == Some(1)));

    // The OS announces a sleep: SUSPEND_STARTING, then the lock goes so the sleep can start.
    cmd.send(Cmd::Sleep(true)).expect("fake logind");
    assert!(
        wait_until(Duration::from_secs(10), || kinds(&m).contains(&"SUSPEND_STARTING".to_string())),
        "{:?}\n{}",
        kinds(&m),
        m.log()
    );
    assert!(wait_until(Duration::from_secs(5), || released(&lock)), "the delay lock was not released");
    assert!(m.log().contains("upsmon: Dozing off until system tells us otherwise"), "{}", m.log());

    // Asleep (pretend): upsd goes away, which while dozing is no news.
    let mut stack = stack;
    stack.stop_upsd();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(kinds(&m), ["SUSPEND_STARTING"], "nothing polled while dozing");
    stack.start_upsd();

    // Awake: SUSPEND_FINISHED, readings forgotten (ONLINE again), a new lock for next time.
    cmd.send(Cmd::Sleep(false)).expect("fake logind");
    assert!(
        wait_until(Duration::from_secs(10), || kinds(&m).contains(&"ONLINE ups1".to_string())),
        "{:?}\n{}",
        kinds(&m),
        m.log()
    );
    let mut k = kinds(&m);
    k.sort();
    assert_eq!(k, ["ONLINE ups1", "SUSPEND_FINISHED", "SUSPEND_STARTING"], "{}", m.log());
    assert!(m.log().contains("upsmon: Processing OS wake-up after sleep; "), "{}", m.log());
    let (again, _) = locks.recv_timeout(Duration::from_secs(5)).expect("a new delay lock after the wake-up");
    assert!(!released(&again));
}

#[test]
fn without_a_system_bus_upsmon_carries_on() {
    let dir = TempDir::new().expect("temp dir");
    let stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let addr = format!("unix:path={}/no-such-bus", dir.path().display());
    let m = Upsmon::start_env(
        Impl::Ours,
        &MonConf::on(&stack, &[("ups1", "primary")]),
        &[("DBUS_SYSTEM_BUS_ADDRESS", addr.as_str())],
    );
    assert!(wait_until(Duration::from_secs(10), || stack.numlogins("ups1") == Some(1)), "{}", m.log());
    assert!(!m.log().contains("sleep inhibitor"), "no warning when there is no bus at all: {}", m.log());
}

/// Any local program may send signals on the system bus, also straight to upsmon's
/// connection: a forged `PrepareForSleep(true)` would make upsmon stop polling ("dozing")
/// until the next real wake-up, and miss a power failure. Only logind's connection counts.
#[test]
fn prepare_for_sleep_from_anybody_else_is_ignored() {
    let dir = TempDir::new().expect("temp dir");
    let Some(_bus) = start_bus(dir.path()) else { return };
    let sock = dir.path().join("bus");
    let (cmd, locks) = fake_logind(&sock);
    let rx = upsmon::sleep::watch_at(sock.clone());
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(SleepMsg::Ready { inhibitor: true }) => {}
        other => panic!("the watcher did not start with a lock: {other:?}"),
    }
    let (_lock, watcher) = locks.recv_timeout(Duration::from_secs(5)).expect("the watcher asked for a lock");
    assert!(watcher.starts_with(':'), "unique name of the watcher's connection: {watcher:?}");

    // A rogue program sends logind's signal, with logind's path and interface, to the
    // watcher's connection: first "going to sleep", then "woke up".
    let mut rogue = Bus::connect(&sock).expect("rogue connects");
    for b in [true, false] {
        let mut sig =
            Message::signal("/org/freedesktop/login1", MANAGER, "PrepareForSleep", vec![Value::Bool(b)]);
        sig.destination = Some(watcher.clone());
        rogue.send(&sig, &[]).expect("rogue sends");
    }
    // A round trip to the bus daemon: it has routed the rogue's signals before answering.
    rogue
        .call(Message::call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetId",
            Vec::new(),
        ))
        .expect("GetId");

    // Then the real logind says the OS woke up: that is the first news the watcher passes on.
    cmd.send(Cmd::Sleep(false)).expect("fake logind");
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(SleepMsg::Finished { .. }) => {}
        other => panic!("the rogue's signals were taken for logind's: {other:?}"),
    }
    cmd.send(Cmd::Sleep(true)).expect("fake logind");
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(SleepMsg::Preparing(done)) => drop(done),
        other => panic!("logind's own announcement was not passed on: {other:?}"),
    }
}
