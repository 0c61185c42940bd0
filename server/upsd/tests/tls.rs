//! STARTTLS end to end: our upsd with `CERTFILE` against our client library, the one-step
//! `nut-tls-setup`, refused certificates, FORCESSL, CERTREQUEST, a broken CERTFILE, a Debian NSS
//! setup (reported by upsd, converted by `nut-tls-setup --from-nss`), and
//! interoperation with Debian's NUT 2.8.0 (an NSS build) in both directions.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_client::{CertHost, Client, Error, Options, TlsOptions};
use nut_testkit::stack::{Impl, Stack};
use nut_testkit::{wait_until, Proc, TempDir};

const DEV: &str = "ups.status: OL\nbattery.charge: 91\n";

/// A CA and server certificate for `hosts`, written into `dir` (ca.pem, upsd.pem, ...).
fn certs(dir: &Path, hosts: &[&str], clients: &[&str]) -> nut_tls::setup::Setup {
    let hosts: Vec<String> = hosts.iter().map(|s| s.to_string()).collect();
    let clients: Vec<String> = clients.iter().map(|s| s.to_string()).collect();
    let made = nut_tls::setup::make_all(&hosts, &clients, 30).expect("make certificates");
    nut_tls::setup::write_files(dir, &made, None, true).expect("write certificates")
}

/// Our upsd (with our dummy-ups) and extra upsd.conf lines.
fn our_stack(dev_dir: &Path, lines: &[String]) -> Stack {
    let dev = dev_dir.join("ups1.dev");
    std::fs::write(&dev, DEV).expect("write .dev");
    let mut b = Stack::builder().dummy("ups1", &dev, Impl::Ours).upsd(Impl::Ours);
    for l in lines {
        b = b.upsd_line(l);
    }
    b.start().expect("start our stack")
}

fn tls_opts(ca: &Path) -> TlsOptions {
    TlsOptions { certpath: Some(ca.to_path_buf()), certverify: true, forcessl: true, ..Default::default() }
}

/// A raw line client (no TLS) for exact replies.
fn raw(port: u16, line: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    s.write_all(format!("{line}\n").as_bytes()).expect("write");
    let mut r = BufReader::new(s);
    let mut out = String::new();
    r.read_line(&mut out).expect("read");
    out.trim_end().to_string()
}

#[test]
fn starttls_replies_and_session_over_tls() {
    let tmp = TempDir::new().expect("tempdir");
    let c = certs(tmp.path(), &["localhost", "127.0.0.1"], &[]);
    // Without CERTFILE: NUT's FEATURE-NOT-CONFIGURED, and the client carries on in plain text.
    let plain = our_stack(tmp.path(), &[]);
    assert_eq!(raw(plain.port(), "STARTTLS"), "ERR FEATURE-NOT-CONFIGURED");
    drop(plain);

    let s = our_stack(tmp.path(), &[format!("CERTFILE {}", c.certfile.display())]);
    let mut cl = Client::connect_tls("127.0.0.1", s.port(), &Options::default(), &tls_opts(&c.ca))
        .expect("TLS connect with verification");
    assert!(cl.is_tls());
    assert_eq!(cl.get_var("ups1", "battery.charge").expect("GET VAR over TLS"), "91");
    assert!(cl.list_var("ups1").expect("LIST VAR over TLS").len() >= 2);
    // A second STARTTLS on the encrypted connection.
    let e = cl.request("STARTTLS").unwrap_err();
    assert_eq!(e.code(), Some(nut_client::ErrCode::AlreadySslMode), "{e}");
    // Login works over TLS too.
    cl.username("mon").expect("USERNAME");
    cl.password("monpw").expect("PASSWORD");
    cl.login("ups1").expect("LOGIN over TLS");
    assert_eq!(cl.get_numlogins("ups1").expect("NUMLOGINS"), 1);
    cl.logout().expect("LOGOUT");
    assert!(
        wait_until(Duration::from_secs(5), || s
            .upsd_log()
            .contains("TLS handshake with 127.0.0.1 succeeded")),
        "upsd log:\n{}",
        s.upsd_log()
    );
    // Plain clients are still served by the same upsd.
    assert_eq!(raw(s.port(), "GET VAR ups1 ups.status"), "VAR ups1 ups.status \"OL\"");
    // A client that says STARTTLS then speaks garbage is dropped without harming upsd.
    let mut g = TcpStream::connect(("127.0.0.1", s.port())).expect("connect");
    g.write_all(b"STARTTLS\nthis is not TLS\r\n\r\n").expect("write");
    g.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut buf = Vec::new();
    let _ = std::io::Read::read_to_end(&mut g, &mut buf);
    assert!(String::from_utf8_lossy(&buf).starts_with("OK STARTTLS\n"));
    assert_eq!(raw(s.port(), "GET VAR ups1 ups.status"), "VAR ups1 ups.status \"OL\"");
}

#[test]
fn wrong_certificates_are_refused_with_a_clear_error() {
    let tmp = TempDir::new().expect("tempdir");
    let good = certs(&tmp.path().join("good"), &["otherhost.example"], &[]);
    let other = certs(&tmp.path().join("other"), &["localhost", "127.0.0.1"], &[]);
    let s = our_stack(tmp.path(), &[format!("CERTFILE {}", good.certfile.display())]);
    let port = s.port();

    // Another CA (or a self-signed server certificate) is refused.
    let e = Client::connect_tls("127.0.0.1", port, &Options::default(), &tls_opts(&other.ca)).unwrap_err();
    assert!(matches!(e, Error::Tls { .. }), "{e:?}");
    assert!(e.to_string().contains("not signed by a CA in CERTPATH"), "{e}");
    assert!(e.nut_message().starts_with("SSL error: "), "{}", e.nut_message());

    // The right CA, but the certificate is for another name.
    let e = Client::connect_tls("127.0.0.1", port, &Options::default(), &tls_opts(&good.ca)).unwrap_err();
    assert!(e.to_string().contains("not valid for the name \"127.0.0.1\""), "{e}");

    // CERTHOST names the certificate's host: accepted.
    let mut o = tls_opts(&good.ca);
    o.certhosts.push(CertHost {
        host: "127.0.0.1".into(),
        cert_name: "otherhost.example".into(),
        verify: true,
        forcessl: true,
    });
    let mut c = Client::connect_tls("127.0.0.1", port, &Options::default(), &o).expect("CERTHOST name");
    assert_eq!(c.get_var("ups1", "ups.status").expect("GET VAR"), "OL");

    // Only an explicit danger option skips verification.
    let o = TlsOptions { danger_skip_verify: true, ..tls_opts(&other.ca) };
    let mut c = Client::connect_tls("127.0.0.1", port, &Options::default(), &o).expect("danger skip");
    assert!(c.is_tls());
    assert_eq!(c.get_var("ups1", "ups.status").expect("GET VAR"), "OL");

    // Without a CA and without CERTVERIFY: encrypted, unauthenticated (NUT's CERTVERIFY 0).
    let c = Client::connect_tls("127.0.0.1", port, &Options::default(), &TlsOptions::default())
        .expect("no verification");
    assert!(c.is_tls());
    // CERTVERIFY without a CA is a setup error, reported before connecting.
    let o = TlsOptions { certverify: true, ..Default::default() };
    let e = Client::connect_tls("127.0.0.1", port, &Options::default(), &o).unwrap_err();
    assert!(matches!(e, Error::TlsSetup(_)) && e.to_string().contains("CERTPATH"), "{e}");
}

#[test]
fn forcessl_refuses_a_plain_server() {
    let tmp = TempDir::new().expect("tempdir");
    let c = certs(tmp.path(), &["127.0.0.1"], &[]);
    let s = our_stack(tmp.path(), &[]);
    let e = Client::connect_tls("127.0.0.1", s.port(), &Options::default(), &tls_opts(&c.ca)).unwrap_err();
    assert!(matches!(e, Error::TlsRequired { .. }), "{e:?}");
    assert!(e.to_string().contains("FEATURE-NOT-CONFIGURED") && e.to_string().contains("FORCESSL"), "{e}");
    // Without FORCESSL the client falls back to plain text, as upsmon does.
    let o = TlsOptions { forcessl: false, ..tls_opts(&c.ca) };
    let mut cl = Client::connect_tls("127.0.0.1", s.port(), &Options::default(), &o).expect("fallback");
    assert!(!cl.is_tls());
    assert_eq!(cl.get_var("ups1", "battery.charge").expect("GET VAR"), "91");
}

#[test]
fn certrequest_require_needs_a_client_certificate() {
    let tmp = TempDir::new().expect("tempdir");
    let c = certs(tmp.path(), &["127.0.0.1"], &["mon"]);
    let s = our_stack(
        tmp.path(),
        &[
            format!("CERTFILE {}", c.certfile.display()),
            format!("CERTPATH {}", c.ca.display()),
            "CERTREQUEST 2".into(),
            "DISABLE_WEAK_SSL true".into(),
        ],
    );
    // Without a client certificate the session does not get going.
    let r = Client::connect_tls("127.0.0.1", s.port(), &Options::default(), &tls_opts(&c.ca))
        .and_then(|mut cl| cl.get_var("ups1", "ups.status"));
    assert!(r.is_err(), "{r:?}");
    assert!(
        wait_until(Duration::from_secs(5), || s.upsd_log().contains("no certificate")),
        "upsd log:\n{}",
        s.upsd_log()
    );
    let o = TlsOptions { certfile: Some(tmp.path().join("client-mon.pem")), ..tls_opts(&c.ca) };
    let mut cl =
        Client::connect_tls("127.0.0.1", s.port(), &Options::default(), &o).expect("with client cert");
    assert_eq!(cl.get_var("ups1", "ups.status").expect("GET VAR"), "OL");
    assert!(wait_until(Duration::from_secs(5), || s.upsd_log().contains("client certificate verified")));
}

#[test]
fn broken_certfile_stops_upsd_with_file_line_and_reason() {
    let tmp = TempDir::new().expect("tempdir");
    let a = certs(&tmp.path().join("a"), &["127.0.0.1"], &[]);
    let b = certs(&tmp.path().join("b"), &["127.0.0.1"], &[]);
    // The certificate of one set with the key of another.
    let cert = std::fs::read_to_string(&a.certfile).expect("read");
    let key_b = std::fs::read_to_string(&b.certfile).expect("read");
    let cert_only = &cert[..cert.find("-----BEGIN PRIVATE KEY-----").expect("key in upsd.pem")];
    let key_only = &key_b[key_b.find("-----BEGIN PRIVATE KEY-----").expect("key in upsd.pem")..];
    let mixed = tmp.path().join("mixed.pem");
    std::fs::write(&mixed, format!("{cert_only}{key_only}")).expect("write");
    let cases: Vec<(PathBuf, &str)> = vec![
        (mixed, "does not belong to the first certificate"),
        (tmp.path().join("missing.pem"), "cannot read it"),
        (a.ca.clone(), "no private key"),
    ];
    for (file, want) in cases {
        let dev = tmp.path().join("ups1.dev");
        std::fs::write(&dev, DEV).expect("write .dev");
        let mut s = Stack::builder()
            .dummy("ups1", &dev, Impl::Ours)
            .upsd(Impl::Ours)
            .upsd_line(&format!("CERTFILE {}", file.display()))
            .start_upsd(false)
            .start()
            .expect("drivers");
        let e = s.start_upsd().unwrap_err();
        assert!(e.contains("exited"), "{e}");
        let log = s.upsd_log();
        // The stack writes LISTEN, STATEPATH, then our line: CERTFILE is line 3.
        let at = format!("upsd.conf:3: CERTFILE: {}: ", file.display());
        assert!(log.contains(&at) && log.contains(want), "want {at:?} and {want:?} in:\n{log}");
        // `upsd -t` reports it too.
        let out = s.run(&nut_testkit::bin("upsd"), &["-t"], Duration::from_secs(10)).expect("upsd -t");
        assert_ne!(out.code, 0);
        assert!(out.out().contains(&at), "{}", out.out());
    }
}

#[test]
fn one_step_setup_then_verified_tls() {
    let tmp = TempDir::new().expect("tempdir");
    let dir = tmp.path().join("etc");
    let out = Command::new(nut_testkit::bin("nut-tls-setup"))
        .args(["--dir", &dir.display().to_string(), "--host", "localhost", "--host", "127.0.0.1"])
        .output()
        .expect("run nut-tls-setup");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let line = |key: &str| -> String {
        text.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} line in:\n{text}"))
            .to_string()
    };
    let certfile_line = line("CERTFILE ");
    let certpath = PathBuf::from(line("CERTPATH ").trim_start_matches("CERTPATH ").to_string());
    assert!(text.contains("\nCERTVERIFY 1\nFORCESSL 1\n"), "{text}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("upsd.pem")).expect("upsd.pem").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    // Running it again does not overwrite the keys.
    let again = Command::new(nut_testkit::bin("nut-tls-setup"))
        .args(["--dir", &dir.display().to_string()])
        .output()
        .expect("run nut-tls-setup");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));

    let s = our_stack(tmp.path(), &[certfile_line]);
    for host in ["127.0.0.1", "localhost"] {
        let mut c = Client::connect_tls(host, s.port(), &Options::default(), &tls_opts(&certpath))
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert!(c.is_tls());
        assert_eq!(c.get_var("ups1", "battery.charge").expect("GET VAR"), "91");
    }
}

// ----- Debian's NUT 2.8.0 (NSS) ------------------------------------------------------------

/// Debian's NUT is built with NSS: its certificates live in an NSS database made with
/// certutil/pk12util (package libnss3-tools).
fn nss_tools() -> bool {
    use nut_testkit::{require, Prereq};
    let t = "TLS interop";
    nut_testkit::require_debian_nut(t) && require(t, Prereq::NssTools) && require(t, Prereq::Openssl)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An NSS database in `db` trusting `ca`, optionally holding a server certificate and key
/// (nickname `upsd`) from `certfile`; the database password is `dbpass`.
fn nss_db(db: &Path, ca: &Path, server: Option<&Path>) {
    std::fs::create_dir_all(db).expect("mkdir nssdb");
    let pw = db.join("pw.txt");
    std::fs::write(&pw, "dbpass\n").expect("pw");
    let d = format!("sql:{}", db.display());
    run(Command::new("certutil").args(["-N", "-d", &d, "-f"]).arg(&pw));
    run(Command::new("certutil")
        .args(["-A", "-d", &d, "-f"])
        .arg(&pw)
        .args(["-n", "NUT CA", "-t", "CT,C,C", "-a", "-i"])
        .arg(ca));
    if let Some(certfile) = server {
        let p12 = db.join("upsd.p12");
        run(Command::new("openssl")
            .args(["pkcs12", "-export", "-name", "upsd", "-passout", "pass:p12pass", "-in"])
            .arg(certfile)
            .arg("-out")
            .arg(&p12));
        run(Command::new("pk12util").args(["-i"]).arg(&p12).args(["-d", &d, "-W", "p12pass", "-k"]).arg(&pw));
    }
}

/// Debian's upsmon monitoring `ups1@host:port` as primary with the given TLS lines, in a
/// private mount namespace (its PID file is always /run/nut/upsmon.pid).
fn debian_upsmon(dir: &Path, target: &str, tls_lines: &str) -> Proc {
    let conf = format!(
        "MONITOR {target} 1 mon monpw primary\nMINSUPPLIES 1\nSHUTDOWNCMD \"/bin/true\"\nPOLLFREQ 1\n\
         POLLFREQALERT 1\nDEADTIME 5\nRBWARNTIME 3600\nNOCOMMWARNTIME 3600\nFINALDELAY 0\n{tls_lines}"
    );
    std::fs::write(dir.join("upsmon.conf"), conf).expect("upsmon.conf");
    run(Command::new("chmod").arg("600").arg(dir.join("upsmon.conf")));
    let mut c = Command::new("unshare");
    c.args(["-m", "sh", "-c", "mount -t tmpfs tmpfs /run/nut && exec /lib/nut/upsmon -D -F -p -u root"]);
    c.env("NUT_CONFPATH", dir).env("NUT_ALTPIDPATH", dir).env("NUT_STATEPATH", dir);
    c.stdout(Stdio::null()).stderr(Stdio::from(std::fs::File::create(dir.join("upsmon.log")).expect("log")));
    Proc::spawn(c)
}

#[test]
fn debian_upsmon_reaches_our_upsd_over_verified_tls() {
    if !nss_tools() {
        return;
    }
    let tmp = TempDir::new().expect("tempdir");
    let c = certs(&tmp.path().join("pki"), &["localhost", "127.0.0.1"], &[]);
    let db = tmp.path().join("nssdb");
    nss_db(&db, &c.ca, None);
    let s = our_stack(tmp.path(), &[format!("CERTFILE {}", c.certfile.display())]);
    let mon_dir = tmp.path().join("mon");
    std::fs::create_dir_all(&mon_dir).expect("mkdir");
    let tls = format!("CERTPATH {}\nCERTVERIFY 1\nFORCESSL 1\n", db.display());
    let mut mon = debian_upsmon(&mon_dir, &format!("ups1@localhost:{}", s.port()), &tls);
    let logged_in = wait_until(Duration::from_secs(20), || {
        let log = s.upsd_log();
        log.contains("TLS handshake with 127.0.0.1 succeeded") && log.contains("logged into UPS [ups1]")
    });
    let mon_log = std::fs::read_to_string(mon_dir.join("upsmon.log")).unwrap_or_default();
    mon.terminate(Duration::from_secs(5));
    assert!(logged_in, "upsd log:\n{}\nupsmon log:\n{mon_log}", s.upsd_log());
    assert!(s.upsd_log().contains("TLS handshake with 127.0.0.1 succeeded"));
    assert!(!mon_log.contains("Certificate validation failed"), "{mon_log}");
}

#[test]
fn debian_upsmon_with_forcessl_refuses_plain_and_wrong_ca() {
    if !nss_tools() {
        return;
    }
    let tmp = TempDir::new().expect("tempdir");
    let good = certs(&tmp.path().join("good"), &["localhost", "127.0.0.1"], &[]);
    let other = certs(&tmp.path().join("other"), &["localhost", "127.0.0.1"], &[]);
    let db = tmp.path().join("nssdb");
    nss_db(&db, &other.ca, None);
    let tls = format!("CERTPATH {}\nCERTVERIFY 1\nFORCESSL 1\n", db.display());
    for lines in [vec![], vec![format!("CERTFILE {}", good.certfile.display())]] {
        let s = our_stack(tmp.path(), &lines);
        let mon_dir = tempfile::tempdir_in(tmp.path()).expect("mon dir");
        let mut mon = debian_upsmon(mon_dir.path(), &format!("ups1@localhost:{}", s.port()), &tls);
        // upsmon tries every second; give it a few tries, then check it never logged in.
        let tried = wait_until(Duration::from_secs(15), || {
            let l = s.upsd_log();
            if lines.is_empty() {
                std::fs::read_to_string(mon_dir.path().join("upsmon.log"))
                    .unwrap_or_default()
                    .contains("Can not connect to NUT server localhost in SSL")
            } else {
                l.contains("TLS handshake with 127.0.0.1 failed")
            }
        });
        std::thread::sleep(Duration::from_millis(500));
        let mon_log = std::fs::read_to_string(mon_dir.path().join("upsmon.log")).unwrap_or_default();
        mon.terminate(Duration::from_secs(5));
        let log = s.upsd_log();
        assert!(tried, "upsd log:\n{log}\nupsmon log:\n{mon_log}");
        assert!(!log.contains("logged into UPS"), "upsd log:\n{log}\nupsmon log:\n{mon_log}");
        let want = if lines.is_empty() {
            "Can not connect to NUT server localhost in SSL"
        } else {
            "Certificate validation failed for localhost"
        };
        assert!(mon_log.contains(want), "want {want:?} in upsmon log:\n{mon_log}");
    }
}

#[test]
fn our_client_reaches_debian_upsd_over_verified_tls() {
    if !nss_tools() {
        return;
    }
    let tmp = TempDir::new().expect("tempdir");
    let c = certs(&tmp.path().join("pki"), &["localhost", "127.0.0.1"], &[]);
    let other = certs(&tmp.path().join("other"), &["localhost", "127.0.0.1"], &[]);
    let db = tmp.path().join("nssdb");
    nss_db(&db, &c.ca, Some(&c.certfile));
    let dev = tmp.path().join("ups1.dev");
    std::fs::write(&dev, DEV).expect("write .dev");
    let s = Stack::builder()
        .dummy("ups1", &dev, Impl::Debian)
        .upsd(Impl::Debian)
        .upsd_line(&format!("CERTPATH {}", db.display()))
        .upsd_line("CERTIDENT \"upsd\" \"dbpass\"")
        .start()
        .expect("Debian stack with NSS TLS");
    let mut cl = Client::connect_tls("127.0.0.1", s.port(), &Options::default(), &tls_opts(&c.ca))
        .unwrap_or_else(|e| panic!("{e}\nDebian upsd log:\n{}", s.upsd_log()));
    assert!(cl.is_tls());
    assert_eq!(cl.get_var("ups1", "battery.charge").expect("GET VAR over TLS"), "91");
    cl.username("mon").expect("USERNAME");
    cl.password("monpw").expect("PASSWORD");
    cl.login("ups1").expect("LOGIN over TLS");
    let e =
        Client::connect_tls("127.0.0.1", s.port(), &Options::default(), &tls_opts(&other.ca)).unwrap_err();
    assert!(e.to_string().contains("not signed by a CA in CERTPATH"), "{e}");
    // upsc with the environment variables.
    let out = Command::new(nut_testkit::bin("upsc"))
        .arg(format!("ups1@127.0.0.1:{}", s.port()))
        .arg("battery.charge")
        .env("NUT_CERTPATH", &c.ca)
        .env("NUT_FORCESSL", "1")
        .output()
        .expect("upsc");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "91", "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(nut_testkit::bin("upsc"))
        .arg(format!("ups1@127.0.0.1:{}", s.port()))
        .arg("battery.charge")
        .env("NUT_CERTPATH", &other.ca)
        .output()
        .expect("upsc");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("SSL error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Debian-style NSS setup made with certutil alone (serials given: two certificates made in
/// the same second would otherwise share one) (as NUT's docs/security.txt does): a CA
/// and a server certificate "upsd server" for localhost/127.0.0.1, database password
/// `dbpass`.
fn nss_made_by_certutil(db: &Path) {
    std::fs::create_dir_all(db).expect("mkdir nssdb");
    let pw = db.join("pw.txt");
    std::fs::write(&pw, "dbpass\n").expect("pw");
    let noise = db.join("noise");
    std::fs::write(&noise, (0..64u8).map(|i| i.wrapping_mul(37)).collect::<Vec<u8>>()).expect("noise");
    let d = format!("sql:{}", db.display());
    run(Command::new("certutil").args(["-N", "-d", &d, "-f"]).arg(&pw));
    // -2 asks for the basic constraints: a CA, no path length limit, critical.
    let mut ca = Command::new("certutil")
        .args(["-S", "-d", &d, "-f"])
        .arg(&pw)
        .arg("-z")
        .arg(&noise)
        .args([
            "-n",
            "My NUT CA",
            "-s",
            "CN=My NUT CA,O=Test",
            "-x",
            "-t",
            "CT,C,C",
            "-k",
            "ec",
            "-q",
            "nistp256",
        ])
        .args(["-v", "12", "-m", "1", "--keyUsage", "certSigning,crlSigning", "-2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("certutil");
    ca.stdin.take().expect("stdin").write_all(b"y\n\ny\n").expect("answers");
    let out = ca.wait_with_output().expect("certutil");
    assert!(out.status.success(), "certutil -S (CA): {}", String::from_utf8_lossy(&out.stderr));
    run(Command::new("certutil")
        .args(["-S", "-d", &d, "-f"])
        .arg(&pw)
        .arg("-z")
        .arg(&noise)
        .args(["-n", "upsd server", "-s", "CN=localhost", "-c", "My NUT CA", "-t", "u,u,u", "-k", "rsa"])
        .args(["-g", "2048", "-v", "12", "-m", "2", "--extSAN", "dns:localhost,ip:127.0.0.1"]));
}

#[test]
fn an_nss_setup_is_reported_then_converted_by_nut_tls_setup() {
    if !nss_tools() {
        return;
    }
    let tmp = TempDir::new().expect("tempdir");
    let db = tmp.path().join("cert");
    nss_made_by_certutil(&db);
    let dev = tmp.path().join("ups1.dev");
    std::fs::write(&dev, DEV).expect("write .dev");
    // upsd.conf as on Debian: CERTPATH + CERTIDENT (lines 3 and 4 after the stack's LISTEN and
    // STATEPATH).
    let mut s = Stack::builder()
        .dummy("ups1", &dev, Impl::Ours)
        .upsd(Impl::Ours)
        .upsd_line(&format!("CERTPATH {}", db.display()))
        .upsd_line("CERTIDENT \"upsd server\" \"dbpass\"")
        .start_upsd(false)
        .start()
        .expect("drivers");
    let conf = s.dir().join("upsd.conf");
    let want = format!("upsd.conf:3: error: CERTPATH {} is an NSS certificate database", db.display());
    let convert = format!("nut-tls-setup --from-nss {} --dir {}", db.display(), s.dir().display());
    // The check mode says so, with the command.
    let out = s.run(&nut_testkit::bin("upsd"), &["-t"], Duration::from_secs(10)).expect("upsd -t");
    assert_ne!(out.code, 0);
    assert!(out.out().contains(&want) && out.out().contains(&convert), "{}", out.out());
    // upsd does not start (it would serve in clear what the configuration wants in TLS).
    let e = s.start_upsd().unwrap_err();
    assert!(e.contains("exited"), "{e}");
    assert!(s.upsd_log().contains(&want) && s.upsd_log().contains(&convert), "{}", s.upsd_log());
    // CERTIDENT alone says the same.
    let text = std::fs::read_to_string(&conf).expect("read upsd.conf");
    std::fs::write(&conf, text.replace(&format!("CERTPATH {}\n", db.display()), "")).expect("write");
    let out = s.run(&nut_testkit::bin("upsd"), &["-t"], Duration::from_secs(10)).expect("upsd -t");
    assert!(
        out.out().contains(
            "upsd.conf:3: error: CERTIDENT names the certificate \"upsd server\" of an NSS database"
        ),
        "{}",
        out.out()
    );
    std::fs::write(&conf, text).expect("write");

    // The conversion, with what upsd.conf says (database, nickname and password).
    let pki = tmp.path().join("pki");
    let out = Command::new(nut_testkit::bin("nut-tls-setup"))
        .args(["--from-nss", "--upsd-conf"])
        .arg(&conf)
        .arg("--dir")
        .arg(&pki)
        .output()
        .expect("run nut-tls-setup");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let certfile = pki.join("upsd.pem");
    let ca = pki.join("ca.pem");
    for l in [
        format!("line 3: remove CERTPATH {}", db.display()),
        "line 4: remove CERTIDENT".to_string(),
        format!("add:     CERTFILE {}", certfile.display()),
        format!("CERTPATH {} in upsmon.conf", ca.display()),
    ] {
        assert!(text.contains(&l), "want {l:?} in:\n{text}");
    }
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&certfile).expect("upsd.pem").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    // A wrong password is reported as such.
    let pwf = tmp.path().join("wrong.pw");
    std::fs::write(&pwf, "nope\n").expect("pw");
    let bad = Command::new(nut_testkit::bin("nut-tls-setup"))
        .args(["--from-nss"])
        .arg(&db)
        .arg("--password-file")
        .arg(&pwf)
        .arg("--dir")
        .arg(tmp.path().join("pki2"))
        .output()
        .expect("run nut-tls-setup");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("the database password is wrong"));

    // With the lines changed as printed, upsd serves TLS with the certificate from the
    // database, verified against the CA exported from it.
    drop(s);
    let s = our_stack(tmp.path(), &[format!("CERTFILE {}", certfile.display())]);
    for host in ["localhost", "127.0.0.1"] {
        let mut c = Client::connect_tls(host, s.port(), &Options::default(), &tls_opts(&ca))
            .unwrap_or_else(|e| panic!("{host}: {e}\n{}", s.upsd_log()));
        assert!(c.is_tls());
        assert_eq!(c.get_var("ups1", "battery.charge").expect("GET VAR"), "91");
    }
}

#[test]
fn tls_settings_without_effect_are_reported_by_the_check_mode() {
    let tmp = TempDir::new().expect("tempdir");
    let c = certs(&tmp.path().join("pki"), &["localhost"], &[]);
    let dev = tmp.path().join("ups1.dev");
    std::fs::write(&dev, DEV).expect("write .dev");
    let check = |lines: &[String]| -> (i32, String) {
        let mut b = Stack::builder().dummy("ups1", &dev, Impl::Ours).upsd(Impl::Ours).start_upsd(false);
        for l in lines {
            b = b.upsd_line(l);
        }
        let s = b.start().expect("drivers");
        let out = s.run(&nut_testkit::bin("upsd"), &["-t"], Duration::from_secs(10)).expect("upsd -t");
        (out.code, out.out())
    };
    // Lines 3 and on are ours (the stack writes LISTEN and STATEPATH first).
    let (code, out) = check(&[
        format!("CERTFILE {}", c.certfile.display()),
        "CERTIDENT \"upsd\" \"pw\"".to_string(),
        "DISABLE_WEAK_SSL false".to_string(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("upsd.conf:4: warning: CERTIDENT is for NUT's NSS builds"), "{out}");
    assert!(out.contains("upsd.conf:5: warning: DISABLE_WEAK_SSL false cannot enable TLS 1.0/1.1"), "{out}");
    let (code, out) = check(&[format!("CERTPATH {}", c.ca.display())]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("upsd.conf:3: warning: CERTPATH is set but CERTFILE is not: STARTTLS is off"),
        "{out}"
    );
}

#[test]
fn a_client_nss_database_becomes_the_ca_file_our_clients_read() {
    if !nss_tools() {
        return;
    }
    // A Debian upsmon host's database: only the CA that signed upsd's certificate, no key.
    let tmp = TempDir::new().expect("tempdir");
    let c = certs(&tmp.path().join("pki"), &["localhost"], &[]);
    let db = tmp.path().join("clientdb");
    nss_db(&db, &c.ca, None);
    let conv = tmp.path().join("conv");
    let out = Command::new(nut_testkit::bin("nut-tls-setup"))
        .arg("--from-nss")
        .arg(&db)
        .arg("--dir")
        .arg(&conv)
        .output()
        .expect("run nut-tls-setup");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let ca = conv.join("ca.pem");
    for l in [
        "a client's: no private key, only the CAs it trusts: NUT CA".to_string(),
        format!("CERTPATH {}   (was the NSS database)", ca.display()),
        "remove CERTIDENT".to_string(),
        format!("NUT_CERTPATH={}", ca.display()),
    ] {
        assert!(text.contains(&l), "want {l:?} in:\n{text}");
    }
    assert!(!conv.join("upsd.pem").exists(), "a client's database has no server certificate to write");
    // The exported CA is the one the database trusted: it verifies upsd's certificate.
    let s = our_stack(tmp.path(), &[format!("CERTFILE {}", c.certfile.display())]);
    let mut cl = Client::connect_tls("localhost", s.port(), &Options::default(), &tls_opts(&ca))
        .unwrap_or_else(|e| panic!("{e}\n{}", s.upsd_log()));
    assert!(cl.is_tls());
    assert_eq!(cl.get_var("ups1", "battery.charge").expect("GET VAR"), "91");
    // And only that CA: a server certificate from another CA is refused with it.
    let other = certs(&tmp.path().join("other"), &["localhost"], &[]);
    drop(s);
    let s = our_stack(tmp.path(), &[format!("CERTFILE {}", other.certfile.display())]);
    assert!(Client::connect_tls("localhost", s.port(), &Options::default(), &tls_opts(&ca)).is_err());
}

#[test]
fn from_nss_says_when_upsd_conf_cannot_be_used() {
    // No NSS tool is reached: the database does not exist. What matters is that an upsd.conf
    // nut-tls-setup cannot use is named, not silently passed over.
    let tmp = TempDir::new().expect("tempdir");
    let run = |conf: &Path| {
        let out = Command::new(nut_testkit::bin("nut-tls-setup"))
            .arg("--from-nss")
            .arg(tmp.path().join("nodb"))
            .arg("--upsd-conf")
            .arg(conf)
            .arg("--dir")
            .arg(tmp.path().join("pki"))
            .output()
            .expect("run nut-tls-setup");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let broken = tmp.path().join("upsd.conf");
    std::fs::write(&broken, "CERTIDENT \"upsd server\" \"dbpass\"\nMAXAGE x\n").expect("write");
    let err = run(&broken);
    assert!(
        err.contains(&format!(
            "warning: {} has errors, so its CERTPATH and CERTIDENT are not used",
            broken.display()
        )) && err.contains("upsd.conf:2: error: MAXAGE"),
        "{err}"
    );
    // A directory cannot be read as a file (permissions would not stop root).
    let err = run(tmp.path());
    assert!(err.contains(&format!("warning: cannot read {}: ", tmp.path().display())), "{err}");
    assert!(err.contains("is not an NSS certificate database"), "{err}");
}
