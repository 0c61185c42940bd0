//! End to end (issue 9): a writable variable NUT's tables mark `HU_FLAG_ENUM`, published by our
//! usbhid-ups from a replayed recording and served by upsd, shows its enumeration on the wire
//! (`LIST ENUM`) and through Debian's `upsrw` ("Type: ENUM ..." and "Option:" lines), and is set
//! by name with Debian's `upsrw -s var=value`.
//!
//! Our driver serves two upsds at once, ours and Debian's 2.8.0 (each with its own port, config
//! and PID directory, both reading the driver socket in the same state directory): whatever our
//! driver publishes, our upsd must answer what NUT's upsd answers.
//!
//! Recordings: `crates/nut-hid/tests/data` (sources in its SOURCES.md).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{bin, free_port, require_debian_nut, wait_until, Conn, Proc, TempDir};

fn recording(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data").join(name)
}

/// One usbhid-ups section on a recording, served by our upsd and Debian's.
struct Served {
    dir: TempDir,
    ups: String,
    /// (label, port): ours first, then Debian's.
    upsds: Vec<(&'static str, u16)>,
    procs: Vec<Proc>,
}

impl Drop for Served {
    fn drop(&mut self) {
        for p in self.procs.iter_mut().rev() {
            p.terminate(Duration::from_secs(5));
        }
    }
}

fn env(c: &mut Command, conf: &Path, state: &Path, pid: &Path) {
    c.env("NUT_CONFPATH", conf).env("NUT_STATEPATH", state).env("NUT_ALTPIDPATH", pid);
    c.env_remove("NUT_DEBUG_LEVEL");
}

/// Start our usbhid-ups on `hex` (extra `ups.conf` lines `extra`), then our upsd and Debian's,
/// and wait until both serve `var`.
fn serve(ups: &str, hex: &Path, extra: &[&str], var: &str) -> Served {
    let dir = TempDir::new().unwrap();
    let state = dir.path().to_path_buf();
    let mut conf = format!("[{ups}]\n\tdriver = usbhid-ups\n\tport = {}\n", hex.display());
    for l in extra {
        conf.push_str(&format!("\t{l}\n"));
    }
    std::fs::write(state.join("ups.conf"), &conf).unwrap();
    let log = |name: &str| std::fs::File::create(state.join(name)).unwrap();
    let mut drv = Command::new(bin("usbhid-ups"));
    env(&mut drv, &state, &state, &state);
    drv.args(["-a", ups, "-u", "root", "-F"])
        .stdin(Stdio::null())
        .stdout(log("drv.log"))
        .stderr(log("drv.err"));
    let mut served = Served { dir, ups: ups.to_string(), upsds: Vec::new(), procs: vec![Proc::spawn(drv)] };
    let sock = state.join(format!("usbhid-ups-{ups}"));
    let started = wait_until(Duration::from_secs(20), || sock.exists() || !served.procs[0].is_running());
    assert!(
        started && sock.exists(),
        "usbhid-ups did not create {}: {}",
        sock.display(),
        std::fs::read_to_string(state.join("drv.err")).unwrap_or_default()
    );
    for (label, program) in [("ours", bin("upsd")), ("debian", PathBuf::from("/lib/nut/upsd"))] {
        let sub = state.join(label);
        std::fs::create_dir(&sub).unwrap();
        let port = free_port();
        std::fs::write(sub.join("ups.conf"), &conf).unwrap();
        std::fs::write(
            sub.join("upsd.conf"),
            format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\n", state.display()),
        )
        .unwrap();
        std::fs::write(sub.join("upsd.users"), "[admin]\n\tpassword = adminpw\n\tactions = SET\n").unwrap();
        let mut c = Command::new(program);
        env(&mut c, &sub, &state, &sub);
        c.args(["-u", "root", "-F"])
            .stdin(Stdio::null())
            .stdout(log(&format!("{label}.log")))
            .stderr(Stdio::null());
        served.procs.push(Proc::spawn(c));
        served.upsds.push((label, port));
        let ok = wait_until(Duration::from_secs(20), || get_var(port, ups, var).is_some());
        assert!(ok, "{label} upsd on port {port} does not serve {ups} {var}");
    }
    served
}

/// `GET VAR` through a fresh connection, or `None` (no upsd yet, no data yet, an error).
fn get_var(port: u16, ups: &str, var: &str) -> Option<String> {
    let mut c = Conn::connect(port).ok()?;
    let reply = c.request(&format!("GET VAR {ups} {var}")).ok()?;
    let line = reply.first()?.strip_prefix(&format!("VAR {ups} {var} "))?.to_string();
    Some(line.trim_matches('"').to_string())
}

/// Debian's `upsrw` with `args` and `<ups>@127.0.0.1:<port>`: (exit code, stdout, stderr without
/// its NSS noise).
fn upsrw(args: &[&str], ups: &str, port: u16) -> (i32, String, String) {
    let out =
        Command::new("/usr/bin/upsrw").args(args).arg(format!("{ups}@127.0.0.1:{port}")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("Init SSL"))
        .map(|l| format!("{l}\n"))
        .collect();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string(), err)
}

/// The `[var]` block of `upsrw`'s listing.
fn block<'a>(listing: &'a str, var: &str) -> Option<&'a str> {
    let start = listing.find(&format!("[{var}]\n"))?;
    let rest = &listing[start..];
    Some(rest.split("\n\n").next().unwrap_or(rest))
}

impl Served {
    /// The same request answered by both upsds: ours must give NUT's answer.
    fn same_answer(&self, request: &str) -> Vec<String> {
        let answers: Vec<Vec<String>> = self
            .upsds
            .iter()
            .map(|(_, port)| Conn::connect(*port).unwrap().request(request).unwrap())
            .collect();
        assert_eq!(answers[0], answers[1], "{request}: our upsd (left) and Debian's (right)");
        answers[0].clone()
    }

    /// Debian's `upsrw` against both upsds: same exit code and output.
    fn same_upsrw(&self, args: &[&str]) -> (i32, String, String) {
        let runs: Vec<(i32, String, String)> =
            self.upsds.iter().map(|(_, port)| upsrw(args, &self.ups, *port)).collect();
        assert_eq!(runs[0], runs[1], "upsrw {args:?}: through our upsd (left) and Debian's (right)");
        runs[0].clone()
    }

    fn value(&self, var: &str) -> Vec<Option<String>> {
        self.upsds.iter().map(|(_, port)| get_var(*port, &self.ups, var)).collect()
    }

    fn driver_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("drv.err")).unwrap_or_default()
    }
}

/// CyberPower's `input.sensitivity` (NUT 2.8.5 cps-hid.c:416, `HU_FLAG_ENUM` over
/// `cps_sensitivity_info`, cps-hid.c:328-333: 0 "low", 1 "normal", 2 "high"; usbhid-ups.c:2484-2494
/// adds one enumerated value per row, in table order). The recorded CP1500PFCLCD reads 1.
#[test]
fn cyberpower_input_sensitivity_is_an_enum_through_upsd_and_upsrw() {
    let test = "cyberpower_input_sensitivity_is_an_enum_through_upsd_and_upsrw";
    if !require_debian_nut(test) {
        return;
    }
    let s = serve(
        "cps",
        &recording("0764-0501-cyberpower-cp1500pfclcd.hex"),
        &["pollfreq = 2"],
        "input.sensitivity",
    );
    let var = "input.sensitivity";

    // The wire: LIST ENUM, GET TYPE, LIST RW.
    let list = s.same_answer(&format!("LIST ENUM cps {var}"));
    let want: Vec<String> = std::iter::once(format!("BEGIN LIST ENUM cps {var}"))
        .chain(["low", "normal", "high"].iter().map(|v| format!("ENUM cps {var} \"{v}\"")))
        .chain(std::iter::once(format!("END LIST ENUM cps {var}")))
        .collect();
    assert_eq!(list, want);
    let ty = s.same_answer(&format!("GET TYPE cps {var}"));
    assert!(ty[0].starts_with(&format!("TYPE cps {var} RW ENUM STRING:")), "{ty:?}");
    let rw = s.same_answer("LIST RW cps");
    assert!(rw.contains(&format!("RW cps {var} \"normal\"")), "{rw:?}");

    // Debian's upsrw lists it as an enumeration with the current value selected.
    let (code, listing, _) = s.same_upsrw(&[]);
    assert_eq!(code, 0);
    let b = block(&listing, var).unwrap_or_else(|| panic!("upsrw does not list {var}:\n{listing}"));
    let lines: Vec<&str> = b.lines().collect();
    assert_eq!(
        lines[..3],
        [format!("[{var}]").as_str(), "Input power sensitivity", "Type: ENUM STRING"],
        "{b}"
    );
    let options: Vec<&str> = lines.iter().filter(|l| l.starts_with("Option: ")).copied().collect();
    assert_eq!(options, ["Option: \"low\"", "Option: \"normal\" SELECTED", "Option: \"high\""], "{b}");

    // A value outside the enumeration: both upsds refuse it the same way, nothing is written.
    let (code, out, err) = s.same_upsrw(&["-s", &format!("{var}=medium"), "-u", "admin", "-p", "adminpw"]);
    assert_ne!(code, 0, "{out}{err}");
    assert_eq!(s.value(var), [Some("normal".to_string()), Some("normal".to_string())]);

    // Set by name through NUT's upsd, then through ours: the same answer, and when upsd
    // accepts, the driver writes the report and reads the new value back.
    let mut answers = Vec::new();
    for ((label, port), new) in s.upsds.iter().rev().zip(["high", "low"]) {
        let r = upsrw(&["-s", &format!("{var}={new}"), "-u", "admin", "-p", "adminpw"], "cps", *port);
        if r.0 == 0 {
            let changed = wait_until(Duration::from_secs(30), || {
                s.value(var).iter().all(|v| v.as_deref() == Some(new))
            });
            assert!(
                changed,
                "{var} after upsrw -s {var}={new} ({label}): {:?}\n{}",
                s.value(var),
                s.driver_log()
            );
            let (_, listing, _) = s.same_upsrw(&[]);
            let b = block(&listing, var).unwrap();
            assert!(b.contains(&format!("Option: \"{new}\" SELECTED")), "{b}");
        } else {
            // NUT's upsd refuses to set a STRING variable whose length the driver left at 0
            // (netset.c set_var: "auxdata ... is invalid", ERR SET-FAILED).
            assert!(r.2.contains("ERR SET-FAILED"), "upsrw -s {var}={new} ({label}): {r:?}");
        }
        answers.push(r);
    }
    eprintln!("upsrw -s {var}=high (Debian's upsd), =low (ours): {answers:?}; now {:?}", s.value(var));
    assert_eq!(answers[0], answers[1], "upsrw -s through Debian's upsd (left) and ours (right)");
}

/// Eaton/MGE's `output.voltage.nominal` (NUT 2.8.5 mge-hid.c:2219, `HU_FLAG_ENUM` over
/// `nominal_output_voltage_info`, mge-hid.c:1512, whose rows go through
/// `nominal_output_voltage_fun`, mge-hid.c:1421): usbhid-ups.c:2484-2494 enumerates the rows
/// `hu_find_infoval` accepts, i.e. those the function maps. The recording's product string is
/// "Eaton 3S", which no row of NUT's `mge_model_names` names exactly (they say "3S",
/// mge-hid.c:1792, compared with strcmp in get_model_name, mge-hid.c:2387), so the model type
/// stays MGE_DEFAULT (mge-hid.c:151), a line-interactive type: set to 230 V, it also accepts
/// 200 and 208 V (mge-hid.c:1478-1487), as NUT would list them.
#[test]
fn eaton_output_voltage_nominal_is_an_enum_and_is_set_by_name() {
    let test = "eaton_output_voltage_nominal_is_an_enum_and_is_set_by_name";
    if !require_debian_nut(test) {
        return;
    }
    let var = "output.voltage.nominal";
    let s = serve("eaton", &recording("0463-ffff-eaton-3s-700.hex"), &["pollfreq = 2"], var);
    let list = s.same_answer(&format!("LIST ENUM eaton {var}"));
    let values: Vec<&str> =
        list.iter().filter_map(|l| l.strip_prefix(&format!("ENUM eaton {var} "))).collect();
    assert_eq!(values, ["\"200\"", "\"208\"", "\"220\"", "\"230\"", "\"240\""], "{list:?}");
    assert_eq!(
        s.same_answer(&format!("GET TYPE eaton {var}")),
        [format!("TYPE eaton {var} RW ENUM STRING:3")]
    );
    let (code, out, err) = s.same_upsrw(&["-s", &format!("{var}=240"), "-u", "admin", "-p", "adminpw"]);
    assert_eq!(code, 0, "{out}{err}");
    let changed =
        wait_until(Duration::from_secs(30), || s.value(var).iter().all(|v| v.as_deref() == Some("240")));
    assert!(changed, "{var} after upsrw -s {var}=240: {:?}\n{}", s.value(var), s.driver_log());
    let (_, listing, _) = s.same_upsrw(&[]);
    let b = block(&listing, var).unwrap();
    assert!(b.contains("Type: ENUM STRING") && b.contains("Option: \"240\" SELECTED"), "{b}");
}
