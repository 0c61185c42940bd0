//! Configuration snippets from real how-tos and the FAQ (copied into `tests/seeds/`, each file
//! naming the seed and lines it came from) parse to the values their authors meant.

use nut_conf::upsd_users::Role;
use nut_conf::{ups_conf, upsd_conf, upsd_users, upsmon_conf, upssched_conf};

fn read(name: &str) -> String {
    let path = format!("{}/tests/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ok<T>(r: nut_conf::Parsed<T>) -> T {
    match r {
        Ok((v, w)) => {
            assert!(w.is_empty(), "unexpected warnings:\n{}", nut_conf::render(&w));
            v
        }
        Err(d) => panic!("unexpected errors:\n{}", nut_conf::render(&d)),
    }
}

#[test]
fn openbsd_eaton_ups_conf_with_quoted_values() {
    for (file, name) in [("000_eaton.ups.conf", "eaton"), ("000_nutscanner.ups.conf", "nutdev1")] {
        let c = ok(ups_conf::parse(&read(file), file));
        let s = c.section(name).expect("section");
        assert_eq!((s.driver.as_str(), s.port.as_str()), ("usbhid-ups", "auto"));
        for (k, v) in [
            ("vendorid", "0463"),
            ("productid", "FFFF"),
            ("product", "Ellipse ECO"),
            ("serial", "000000000"),
            ("vendor", "EATON"),
            ("bus", "005"),
        ] {
            assert_eq!(s.option(k), Some(Some(v)), "{file}: {k}");
        }
    }
    let c = ok(ups_conf::parse(&read("000_eaton.ups.conf"), "ups.conf"));
    assert_eq!(c.sections[0].desc.as_deref(), Some("Eaton Ellipse ECO 650 VA USB FR"));
}

#[test]
fn openbsd_users_monitor_and_upssched() {
    let u = ok(upsd_users::parse(&read("000.upsd.users"), "upsd.users"));
    let user = u.user("upsmon").expect("user upsmon");
    assert!(user.password_matches("mypassword"));
    let role = user.upsmon.as_ref().expect("role");
    assert_eq!((role.role, role.word.as_str()), (Role::Primary, "master"));

    let m = ok(upsmon_conf::parse(&read("000.upsmon.conf"), "upsmon.conf"));
    let mon = &m.monitors[0];
    assert_eq!((mon.ups.as_str(), mon.host.as_str(), mon.port), ("eaton", "localhost", 3493));
    assert_eq!((mon.user.as_str(), mon.pass.as_str()), ("upsmon", "mypassword"));
    assert_eq!((mon.powervalue, mon.role), (1, Role::Primary));

    let s = ok(upssched_conf::parse(&read("000.upssched.conf"), "upssched.conf"));
    assert_eq!(s.cmdscript.as_deref(), Some("/usr/local/bin/upssched-cmd"));
    assert_eq!(s.ats.len(), 5);
    assert_eq!(s.ats[1].action, upssched_conf::Action::StartTimer { name: "onbattwarn".into(), seconds: 30 });
    assert_eq!(s.matching("ONLINE", "eaton@localhost").count(), 3);
}

#[test]
fn eaton_3s_howto() {
    let c = ok(ups_conf::parse(&read("002.ups.conf"), "ups.conf"));
    assert_eq!(c.section("eaton").and_then(|s| s.desc.as_deref()), Some("Eaton 3S 550"));

    let d = ok(upsd_conf::parse(&read("002.upsd.conf"), "upsd.conf"));
    assert_eq!(d.listen_or_default(), vec![("::1".to_string(), 3493)]);

    let u = ok(upsd_users::parse(&read("002.upsd.users"), "upsd.users"));
    let user = u.user("upsmonitor").expect("upsmonitor");
    assert!(user.password_matches("YOUR_PASSWORD"));
    assert_eq!(user.upsmon.as_ref().map(|r| r.role), Some(Role::Primary));

    let m = ok(upsmon_conf::parse(&read("002.upsmon.conf"), "upsmon.conf"));
    assert_eq!(m.monitors[0].system, "eaton@localhost");
    assert_eq!(m.powerdownflag.as_deref(), Some("/etc/killpower"));
    assert_eq!(m.shutdowncmd.as_deref(), Some("/sbin/shutdown -h now"));
}

#[test]
fn ipfire_howto_including_its_listen_mistake() {
    let c = ok(ups_conf::parse(&read("003.ups.conf"), "ups.conf"));
    assert_eq!(c.section("eaton3s").map(|s| s.driver.as_str()), Some("usbhid-ups"));

    let Err(e) = upsd_conf::parse(&read("003.upsd.conf"), "/etc/nut/upsd.conf") else {
        panic!("LISTEN 3493 must be rejected")
    };
    assert_eq!(
        e[0].to_string(),
        "/etc/nut/upsd.conf:3: error: LISTEN takes an address first, then the port: \"LISTEN \
         3493\" would listen on address 3493; write LISTEN 127.0.0.1 3493"
    );

    let u = ok(upsd_users::parse(&read("003.upsd.users"), "upsd.users"));
    let admin = u.user("admin").expect("admin");
    assert!(admin.password_matches("PLZset@strongpassw0rdh3r3!"));
    assert!(admin.can_set() && !admin.can_fsd() && admin.can_instcmd("load.off"));

    let m = ok(upsmon_conf::parse(&read("003.upsmon.conf"), "upsmon.conf"));
    assert_eq!(m.monitors[0].pass, "PLZset@strongpassw0rdh3r3!");
    assert_eq!(m.shutdowncmd.as_deref(), Some("/sbin/shutdown -h +0"));
}

#[test]
fn faq_apcsmart_with_global_user() {
    let c = ok(ups_conf::parse(&read("004.ups.conf"), "ups.conf"));
    assert_eq!(c.globals.user.as_deref(), Some("nutsry"));
    let s = c.section("myups").expect("myups");
    assert_eq!((s.driver.as_str(), s.port.as_str()), ("apcsmart", "/dev/whatever"));
    assert_eq!(s.option("cable"), Some(Some("940-0095B")));
    assert_eq!(c.user(s), Some("nutsry"));
}
