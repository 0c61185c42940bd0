//! The Debian package (`scripts/build-deb.sh`): what a user gets from `apt install ./nut-rs_*.deb`.
//!
//! - lintian finds no errors (its warnings are printed);
//! - the contents: every program at the path Debian's nut-server/nut-client put it, the
//!   `/sbin/upsd` and `/sbin/upsmon` wrappers, the sample configurations as conffiles readable
//!   by root only in the archive, cmdvartab, the docs, and whatever units, tmpfiles, udev rules
//!   and man pages the tree has; the control fields that let it replace Debian's packages;
//! - installed into a throw-away root (`dpkg --root` with `--force-script-chrootless`, so the
//!   maintainer scripts run against `$DPKG_ROOT`, never the host): the `nut` user and group
//!   appear in that root, the configurations belong to group nut; an edited configuration
//!   survives an upgrade and a remove byte for byte; purge deletes the configurations.
//! - switching: with stand-ins for Debian's nut-server and nut-client installed (their
//!   conffile split, shared program paths), one `dpkg -i` of ours removes both in its favour and
//!   takes over their configuration files, edits kept; removing ours and installing theirs again
//!   keeps them too;
//! - the wrappers refuse to start a daemon that nut.conf's MODE does not ask for, as Debian's do.
//!
//! The package is built once per test run by the script (its `cargo build --release` is a
//! no-op when the release binaries are current; the first one on a fresh machine compiles the
//! release programs), or taken from `NUT_DEB` when set. `NUT_DEB_PROFILE=dev` packages the
//! debug build instead (same packaging, no release compile) for quick runs.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

use nut_testkit::{require, workspace_root, Prereq, TempDir};

/// Programs and their Debian paths (from `dpkg -L nut-server nut-client`, plus ours).
const PROGRAMS: &[&str] = &[
    "lib/nut/upsd",
    "lib/nut/upsmon",
    "sbin/upsd",
    "sbin/upsmon",
    "sbin/upssched",
    "sbin/upsdrvctl",
    "sbin/nut-tls-setup",
    "bin/upsc",
    "bin/upscmd",
    "bin/upsrw",
    "bin/upslog",
    "bin/nut-scanner",
    "lib/nut/dummy-ups",
    "lib/nut/usbhid-ups",
    "lib/nut/nutdrv_qx",
    "lib/nut/blazer_ser",
    "lib/nut/blazer_usb",
    "lib/nut/apcsmart",
    "lib/nut/bcmxcp",
    "lib/nut/bcmxcp_usb",
    "lib/nut/genericups",
    "lib/nut/metasys",
    "lib/nut/mge-shut",
    "lib/nut/nhs_ser",
    "lib/nut/nutdrv_hashx",
    "lib/nut/powerpanel",
    "lib/nut/riello_ser",
    "lib/nut/riello_usb",
];

/// The configuration files Debian's packages ship under /etc/nut.
const CONFFILES: &[&str] =
    &["nut.conf", "ups.conf", "upsd.conf", "upsd.users", "upsmon.conf", "upssched.conf"];

fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

fn run_ok(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The cargo profile whose programs go in the package (`NUT_DEB_PROFILE`, default release).
fn profile() -> String {
    std::env::var("NUT_DEB_PROFILE").unwrap_or_else(|_| "release".to_string())
}

/// Runs `scripts/build-deb.sh --profile <profile()>` with `args`; the last line of its output
/// is the .deb.
fn build_deb(args: &[&str]) -> PathBuf {
    let stdout = run_ok(
        Command::new(workspace_root().join("scripts/build-deb.sh"))
            .args(["--profile", &profile()])
            .args(args),
    );
    let path = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    assert!(path.is_file(), "build-deb.sh printed {} which is not a file", path.display());
    path
}

/// The package of this run, built once (or `NUT_DEB`). None (skipped) without dpkg-dev.
fn package(test: &str) -> Option<PathBuf> {
    static DEB: OnceLock<Mutex<Option<PathBuf>>> = OnceLock::new();
    if let Some(p) = std::env::var_os("NUT_DEB") {
        return Some(PathBuf::from(p));
    }
    if !require(test, Prereq::DpkgDev) {
        return None;
    }
    let cell = DEB.get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        *guard = Some(build_deb(&[]));
    }
    guard.clone()
}

/// One line of `dpkg-deb -c`: mode string, owner/group, size, path (without the leading `./`).
struct Entry {
    mode: String,
    owner: String,
    path: String,
    link: Option<String>,
}

fn contents(deb: &Path) -> BTreeMap<String, Entry> {
    let text = run_ok(Command::new("dpkg-deb").arg("-c").arg(deb));
    let mut map = BTreeMap::new();
    for line in text.lines() {
        // drwxr-xr-x root/root         0 2026-12-07 15:30 ./etc/nut/
        let mut f = line.split_whitespace();
        let (Some(mode), Some(owner)) = (f.next(), f.next()) else { continue };
        let rest: Vec<&str> = f.skip(3).collect();
        let joined = rest.join(" ");
        let (path, link) = match joined.split_once(" -> ") {
            Some((p, l)) => (p.to_string(), Some(l.to_string())),
            None => (joined, None),
        };
        let path = path.trim_start_matches("./").trim_end_matches('/').to_string();
        if path.is_empty() {
            continue;
        }
        map.insert(path.clone(), Entry { mode: mode.to_string(), owner: owner.to_string(), path, link });
    }
    map
}

fn field(deb: &Path, name: &str) -> String {
    run_ok(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name)).trim().to_string()
}

/// Package relation names in a field (`a (>= 1), b | c` gives a, b, c).
fn relation_names(value: &str) -> Vec<String> {
    value
        .split([',', '|'])
        .filter_map(|p| p.split_whitespace().next())
        .map(|s| s.split(':').next().unwrap_or(s).to_string())
        .collect()
}

#[test]
fn lintian_reports_no_errors() {
    let test = "deb_package::lintian_reports_no_errors";
    let Some(deb) = package(test) else { return };
    if !require(test, Prereq::Lintian) {
        return;
    }
    // --no-cfg: the machine's lintian profile must not hide tags.
    let out = run(Command::new("lintian").args(["--no-cfg", "--display-info", "--show-overrides"]).arg(&deb));
    let text = String::from_utf8_lossy(&out.stdout);
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("E: ")).collect();
    let warnings: Vec<&str> = text.lines().filter(|l| l.starts_with("W: ")).collect();
    let overridden: Vec<&str> = text.lines().filter(|l| l.starts_with("O: ")).collect();
    eprintln!("lintian on {}: {} error(s), {} warning(s)", deb.display(), errors.len(), warnings.len());
    for l in &warnings {
        eprintln!("  {l}");
    }
    // Overridden tags (each override says why in usr/share/lintian/overrides/nut-rs), counted.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &overridden {
        let tag = l.split_whitespace().nth(2).unwrap_or(l);
        *counts.entry(tag).or_default() += 1;
    }
    for (tag, n) in counts {
        eprintln!("  overridden: {tag} ({n}x)");
    }
    assert!(
        errors.is_empty() && out.status.success(),
        "lintian reports errors ({}):\n{}\n{}",
        out.status,
        errors.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn contents_follow_debians_layout() {
    let Some(deb) = package("deb_package::contents_follow_debians_layout") else { return };
    let c = contents(&deb);
    for e in c.values() {
        assert_eq!(e.owner, "root/root", "{} is not owned by root", e.path);
        assert!(e.link.is_none(), "{} is a link to {:?}", e.path, e.link);
    }
    for p in PROGRAMS {
        let e = c.get(*p).unwrap_or_else(|| panic!("{p} is not in the package"));
        assert_eq!(e.mode, "-rwxr-xr-x", "{p}");
    }
    // Configuration files: conffiles, root-only in the archive (they hold passwords).
    let ctrl = TempDir::new().expect("tempdir");
    run_ok(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(ctrl.path()));
    let conffiles = fs::read_to_string(ctrl.path().join("conffiles")).expect("DEBIAN/conffiles");
    let listed: Vec<&str> = conffiles.lines().collect();
    for name in CONFFILES {
        let path = format!("etc/nut/{name}");
        let e = c.get(&path).unwrap_or_else(|| panic!("{path} is not in the package"));
        assert_eq!(e.mode, "-rw-r-----", "{path}");
        assert!(listed.contains(&format!("/{path}").as_str()), "{path} is not a conffile: {conffiles}");
    }
    for l in &listed {
        assert!(c.contains_key(l.trim_start_matches('/')), "conffile {l} is not shipped");
    }
    let etc: Vec<&String> =
        c.keys().filter(|p| p.starts_with("etc/") && c[*p].mode.starts_with('-')).collect();
    assert_eq!(etc.len(), listed.len(), "every file under /etc is a conffile: {etc:?}");
    for s in ["postinst", "prerm", "postrm"] {
        let mode = fs::metadata(ctrl.path().join(s)).expect(s).permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "DEBIAN/{s}");
    }
    for p in [
        "usr/share/nut/cmdvartab",
        "usr/share/doc/nut-rs/copyright",
        "usr/share/doc/nut-rs/changelog.Debian.gz",
        "var/lib/nut",
    ] {
        assert!(c.contains_key(p), "{p} is not in the package");
    }
    // What the other parts of the tree provide is in the package, where Debian puts it.
    let root = workspace_root();
    let in_dir = |dir: &str, pred: &dyn Fn(&str) -> bool| -> Vec<String> {
        fs::read_dir(root.join(dir))
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .filter(|n| pred(n))
                    .collect()
            })
            .unwrap_or_default()
    };
    // (path in the package, mode) for what packaging/ and docs/man/ hold.
    let mut expected: Vec<(String, &str)> = Vec::new();
    let list = root.join("packaging/systemd/install.list");
    if let Ok(text) = fs::read_to_string(&list) {
        // "source destination mode", as scripts/build-deb.sh reads it.
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(f.len(), 3, "install.list line {line:?}");
            let mode = match f[2] {
                "0755" => "-rwxr-xr-x",
                "0644" => "-rw-r--r--",
                other => panic!("install.list: unexpected mode {other} in {line:?}"),
            };
            expected.push((f[1].trim_start_matches('/').to_string(), mode));
        }
    } else {
        for unit in in_dir("packaging/systemd", &|n| {
            [".service", ".target", ".path", ".socket", ".timer"].iter().any(|s| n.ends_with(s))
        }) {
            expected.push((format!("lib/systemd/system/{unit}"), "-rw-r--r--"));
        }
        if root.join("packaging/systemd/nutshutdown").is_file() {
            expected.push(("lib/systemd/system-shutdown/nutshutdown".into(), "-rwxr-xr-x"));
        }
        let tmpfiles = in_dir("packaging/systemd", &|n| n.contains("tmpfiles"));
        assert_eq!(
            c.keys().filter(|p| p.starts_with("usr/lib/tmpfiles.d/")).count(),
            tmpfiles.len(),
            "one tmpfiles.d file per packaging/systemd/*tmpfiles*"
        );
    }
    for rules in in_dir("packaging/udev", &|n| n.ends_with(".rules")) {
        expected.push((format!("lib/udev/rules.d/{rules}"), "-rw-r--r--"));
    }
    // The CGI programs' pages stay with Debian's nut-cgi, which can be installed beside us.
    let cgi_pages = ["hosts.conf.5", "upsset.conf.5"];
    for page in in_dir("docs/man", &|n| {
        n.rsplit_once('.').is_some_and(|(_, s)| matches!(s, "1" | "5" | "8")) && !cgi_pages.contains(&n)
    }) {
        let section = page.rsplit_once('.').map(|(_, s)| s).unwrap_or_default();
        expected.push((format!("usr/share/man/man{section}/{page}.gz"), "-rw-r--r--"));
    }
    for page in cgi_pages {
        let p = format!("usr/share/man/man5/{page}.gz");
        assert!(!c.contains_key(&p), "{p} would clash with Debian's nut-cgi");
    }
    eprintln!("files from packaging/ and docs/man/ expected in the package: {}", expected.len());
    for (p, mode) in &expected {
        let e = c.get(p).unwrap_or_else(|| panic!("{p} is not in the package"));
        assert_eq!(e.mode, *mode, "{p}");
    }
    // Every program of ours a unit runs is in the package (merged /usr: /usr/sbin/x is /sbin/x;
    // system programs such as /bin/sh or systemd-tmpfiles are the system's).
    let tree = TempDir::new().expect("tempdir");
    run_ok(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(tree.path()));
    let exec =
        regex::Regex::new(r#"(?:^|[= \t"'`@+!:-])(/(?:usr/)?(?:s?bin|lib|libexec)/[A-Za-z0-9_./@-]+)"#)
            .expect("regex");
    let mut checked = 0;
    for unit in c.keys().filter(|p| p.starts_with("lib/systemd/system/") && c[*p].mode.starts_with('-')) {
        let text = fs::read_to_string(tree.path().join(unit)).expect("unit");
        for line in text.lines().filter(|l| l.starts_with("Exec")) {
            for cap in exec.captures_iter(line) {
                let path = &cap[1];
                let base = path.rsplit('/').next().unwrap_or(path);
                let ours = path.starts_with("/lib/nut/")
                    || path.starts_with("/usr/libexec/")
                    || base.starts_with("ups")
                    || base.starts_with("nut");
                if !ours {
                    continue;
                }
                let rel = path.trim_start_matches('/');
                assert!(
                    c.contains_key(rel) || c.contains_key(rel.trim_start_matches("usr/")),
                    "{unit} runs {path}, which is not in the package"
                );
                checked += 1;
            }
        }
    }
    eprintln!("programs run by the units, found in the package: {checked}");

    // Control: replaces Debian's packages both ways, dependencies from the binaries.
    assert_eq!(field(&deb, "Package"), "nut-rs");
    for f in ["Provides", "Conflicts", "Replaces"] {
        let names = relation_names(&field(&deb, f));
        for p in ["nut-server", "nut-client"] {
            assert!(names.iter().any(|n| n == p), "{f} lacks {p}: {names:?}");
        }
    }
    // The libc6 dependency covers every glibc version node the programs need: the newest
    // GLIBC_x.y symbol version, and 2.36 for packed relative relocations (GLIBC_ABI_DT_RELR),
    // which dpkg-shlibdeps does not see. A lower bound would let apt install programs that
    // the system's loader refuses to start.
    let mut needed = (2u32, 0u32);
    for p in PROGRAMS {
        let bin = tree.path().join(p);
        if !fs::read(&bin).is_ok_and(|b| b.starts_with(b"\x7fELF")) {
            continue;
        }
        let v = run_ok(Command::new("readelf").arg("-V").arg(&bin));
        for word in v.split(|c: char| c.is_whitespace()) {
            let version = if word == "GLIBC_ABI_DT_RELR" {
                Some((2, 36))
            } else {
                word.strip_prefix("GLIBC_").and_then(|v| {
                    let mut it = v.split('.').map(|n| n.parse::<u32>().ok());
                    Some((it.next()??, it.next()??))
                })
            };
            if let Some(version) = version {
                needed = needed.max(version);
            }
        }
    }
    let libc = regex::Regex::new(r"libc6 \(>= ([0-9]+)\.([0-9]+)").expect("regex");
    let depends = field(&deb, "Depends");
    let declared = libc
        .captures(&depends)
        .map(|c| (c[1].parse::<u32>().unwrap_or(0), c[2].parse::<u32>().unwrap_or(0)))
        .unwrap_or((0, 0));
    eprintln!("glibc needed by the programs: {}.{}; Depends: {depends}", needed.0, needed.1);
    assert!(declared >= needed, "Depends has libc6 (>= {declared:?}) but the programs need glibc {needed:?}");
    let names = relation_names(&depends);
    for p in ["libc6", "adduser"] {
        assert!(names.iter().any(|n| n == p), "Depends lacks {p} (dpkg-shlibdeps): {depends}");
    }
}

/// A throw-away root with its own dpkg database and account files.
fn scratch_root() -> TempDir {
    let root = TempDir::new().expect("tempdir");
    let r = root.path();
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log", "etc", "run", "tmp"] {
        fs::create_dir_all(r.join(d)).expect("mkdir");
    }
    fs::write(r.join("var/lib/dpkg/status"), "").expect("status");
    fs::write(r.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").expect("passwd");
    fs::write(r.join("etc/group"), "root:x:0:\n").expect("group");
    fs::write(r.join("etc/shadow"), "root:*:19000:0:99999:7:::\n").expect("shadow");
    fs::write(r.join("etc/gshadow"), "root:*::\n").expect("gshadow");
    for f in ["etc/shadow", "etc/gshadow"] {
        fs::set_permissions(r.join(f), fs::Permissions::from_mode(0o640)).expect("chmod");
    }
    root
}

/// dpkg on the throw-away root: maintainer scripts run on the host against `$DPKG_ROOT`;
/// the root has no libc6/adduser packages recorded, hence --force-depends.
fn dpkg(root: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = Command::new("dpkg");
    cmd.arg(format!("--root={}", root.display()))
        .arg(format!("--log={}", root.join("var/log/dpkg.log").display()))
        .args(["--force-script-chrootless", "--force-depends", "--force-confdef", "--force-confold"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut cmd)
}

fn dpkg_ok(root: &Path, args: &[&str]) -> String {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let out = dpkg(root, &args);
    assert!(
        out.status.success(),
        "dpkg {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn status_of(root: &Path) -> String {
    let out = run(Command::new("dpkg-query")
        .arg(format!("--admindir={}", root.join("var/lib/dpkg").display()))
        .args(["-W", "-f=${Version} ${db:Status-Abbrev}", "nut-rs"]));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn c_has(deb: &Path, path: &str) -> bool {
    contents(deb).contains_key(path)
}

fn gid_in(root: &Path, group: &str) -> Option<u32> {
    fs::read_to_string(root.join("etc/group"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{group}:")).map(str::to_string))
        .and_then(|rest| rest.split(':').nth(1).and_then(|g| g.parse().ok()))
}

#[test]
fn install_upgrade_remove_keep_the_users_configs() {
    let test = "deb_package::install_upgrade_remove_keep_the_users_configs";
    let Some(deb) = package(test) else { return };
    if !require(test, Prereq::Root) {
        return;
    }
    let host_passwd = fs::read("/etc/passwd").unwrap_or_default();
    let host_group = fs::read("/etc/group").unwrap_or_default();
    let scratch = scratch_root();
    let root = scratch.path();

    // Install.
    let log = dpkg_ok(root, &["--install", deb.to_str().expect("utf-8 path")]);
    eprintln!("install:\n{log}");
    assert!(status_of(root).ends_with("ii"), "not installed: {}", status_of(root));
    for p in PROGRAMS {
        let m = fs::metadata(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(m.mode() & 0o7777, 0o755, "{p}");
    }
    // The programs run (dynamically linked against the host's libraries only).
    let v = run(Command::new(root.join("bin/upsc")).arg("-V"));
    let text = format!("{}{}", String::from_utf8_lossy(&v.stdout), String::from_utf8_lossy(&v.stderr));
    assert!(v.status.success() && text.contains("Network UPS Tools upsc"), "upsc -V: {text}");
    // The nut account was added to the root's files, not the host's.
    let gid = gid_in(root, "nut").expect("group nut in the root's /etc/group");
    let passwd = fs::read_to_string(root.join("etc/passwd")).expect("passwd");
    let nut = passwd.lines().find(|l| l.starts_with("nut:")).expect("user nut in the root's /etc/passwd");
    let f: Vec<&str> = nut.split(':').collect();
    assert_eq!(f[3].parse::<u32>().ok(), Some(gid), "nut's primary group is nut: {nut}");
    assert_eq!(f[5], "/var/lib/nut", "nut's home: {nut}");
    assert_eq!(fs::read("/etc/passwd").unwrap_or_default(), host_passwd, "the host's /etc/passwd changed");
    assert_eq!(fs::read("/etc/group").unwrap_or_default(), host_group, "the host's /etc/group changed");
    for name in CONFFILES {
        let m = fs::metadata(root.join("etc/nut").join(name)).expect(name);
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (0, gid, 0o640), "/etc/nut/{name}: root:nut 0640");
    }
    // /run/nut: from the tmpfiles.d entry (nut:nut in NUT 2.8.5's) or, without one, root:nut
    // as Debian's postinst makes it; either way the daemons' group can write it, others not.
    for d in ["run/nut", "var/lib/nut"] {
        let m = fs::metadata(root.join(d)).unwrap_or_else(|e| panic!("{d}: {e}"));
        assert_eq!((m.gid(), m.mode() & 0o7777), (gid, 0o770), "/{d}: group nut, 0770");
    }

    // Units with an [Install] section are enabled in the root (deb-systemd-helper honours
    // DPKG_ROOT), as Debian's nut packages enable theirs; purge takes the links away again.
    let ships_target = c_has(&deb, "lib/systemd/system/nut.target");
    let wants = root.join("etc/systemd/system/multi-user.target.wants/nut.target");
    if ships_target {
        assert!(fs::symlink_metadata(&wants).is_ok(), "nut.target is not enabled in the root");
    }

    // The user edits two files and tightens one's mode; another stays as shipped.
    let ups_conf = root.join("etc/nut/ups.conf");
    let users = root.join("etc/nut/upsd.users");
    let mut edited = fs::read_to_string(&ups_conf).expect("ups.conf");
    edited.push_str("\n[myups]\n\tdriver = usbhid-ups\n\tport = auto\n");
    fs::write(&ups_conf, &edited).expect("edit ups.conf");
    fs::write(&users, "[monuser]\n\tpassword = secret\n\tupsmon primary\n").expect("edit upsd.users");
    fs::set_permissions(&users, fs::Permissions::from_mode(0o600)).expect("chmod");
    let before = |p: &Path| {
        let m = fs::metadata(p).expect("stat");
        (fs::read(p).expect("read"), m.uid(), m.gid(), m.mode() & 0o7777)
    };
    let ups_before = before(&ups_conf);
    let users_before = before(&users);

    // Upgrade to a higher version of the same package.
    let out_dir = TempDir::new().expect("tempdir");
    let newer =
        build_deb(&["--no-build", "--version", "0.1.0-1+test1", "--out", &out_dir.path().to_string_lossy()]);
    let log = dpkg_ok(root, &["--install", newer.to_str().expect("utf-8 path")]);
    eprintln!("upgrade:\n{log}");
    assert_eq!(status_of(root), "0.1.0-1+test1 ii", "after the upgrade");
    assert!(before(&ups_conf) == ups_before, "the edited ups.conf changed in the upgrade");
    assert!(before(&users) == users_before, "the edited upsd.users changed in the upgrade");
    let m = fs::metadata(root.join("etc/nut/upsmon.conf")).expect("upsmon.conf");
    assert_eq!(
        (m.uid(), m.gid(), m.mode() & 0o7777),
        (0, gid, 0o640),
        "unedited upsmon.conf after the upgrade"
    );

    // Remove: programs go, the configuration stays untouched.
    let log = dpkg_ok(root, &["--remove", "nut-rs"]);
    eprintln!("remove:\n{log}");
    assert!(status_of(root).ends_with("rc"), "after remove: {}", status_of(root));
    for p in PROGRAMS {
        assert!(!root.join(p).exists(), "{p} is still there after remove");
    }
    assert!(before(&ups_conf) == ups_before, "the edited ups.conf changed in the remove");
    assert!(before(&users) == users_before, "the edited upsd.users changed in the remove");
    assert!(
        root.join("etc/nut/nut.conf").exists(),
        "nut.conf is gone after a remove (only purge deletes it)"
    );

    // Reinstall keeps the edits too; purge then deletes every configuration file.
    dpkg_ok(root, &["--install", newer.to_str().expect("utf-8 path")]);
    assert!(before(&ups_conf) == ups_before, "the edited ups.conf changed in the reinstall");
    let log = dpkg_ok(root, &["--purge", "nut-rs"]);
    eprintln!("purge:\n{log}");
    for name in CONFFILES {
        assert!(!root.join("etc/nut").join(name).exists(), "/etc/nut/{name} is still there after purge");
    }
    assert_eq!(status_of(root), "", "purged package still known to dpkg");
    assert!(fs::symlink_metadata(&wants).is_err(), "nut.target is still enabled after purge");
    assert_eq!(fs::read("/etc/passwd").unwrap_or_default(), host_passwd, "the host's /etc/passwd changed");
}

#[test]
fn wrappers_follow_nut_conf_mode() {
    let dir = TempDir::new().expect("tempdir");
    let wrappers = workspace_root().join("packaging/debian");
    // (wrapper, MODE, expected exit status, text expected on stdout+stderr)
    let cases = [
        ("upsd.wrapper", "MODE=none\n", 0, "upsd disabled"),
        ("upsd.wrapper", "MODE=netclient\n", 0, "upsd disabled"),
        ("upsd.wrapper", "# no MODE\n", 1, "MODE is not set"),
        ("upsmon.wrapper", "MODE=none\n", 0, "upsmon disabled"),
        ("upsmon.wrapper", "# no MODE\n", 1, "MODE is not set"),
    ];
    for (wrapper, conf, code, text) in cases {
        fs::write(dir.path().join("nut.conf"), conf).expect("nut.conf");
        let out =
            run(Command::new("sh").arg(wrappers.join(wrapper)).arg("-F").env("NUT_CONFPATH", dir.path()));
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(code), "{wrapper} with {conf:?}: {all}");
        assert!(all.contains(text), "{wrapper} with {conf:?} says {all:?}, expected {text:?}");
    }
    // The modes that run the daemon exec /lib/nut/<daemon> with the arguments: checked with a
    // copy of the wrapper pointing at a stand-in that prints its arguments.
    let fake = dir.path().join("fake");
    fs::write(&fake, "#!/bin/sh\necho \"ran $*\"\n").expect("fake");
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).expect("chmod");
    for (wrapper, daemon, modes) in [
        ("upsd.wrapper", "upsd", &["standalone", "netserver"][..]),
        ("upsmon.wrapper", "upsmon", &["standalone", "netserver", "netclient"][..]),
    ] {
        let text = fs::read_to_string(wrappers.join(wrapper)).expect("wrapper");
        let target = format!("exec /lib/nut/{daemon} ");
        assert!(text.contains(&target), "{wrapper} does not exec /lib/nut/{daemon}");
        let copy = dir.path().join(wrapper);
        fs::write(&copy, text.replace(&target, &format!("exec {} ", fake.display()))).expect("copy");
        for mode in modes {
            fs::write(dir.path().join("nut.conf"), format!("MODE={mode}\n")).expect("nut.conf");
            let out = run_ok(
                Command::new("sh").arg(&copy).args(["-F", "-u", "nut"]).env("NUT_CONFPATH", dir.path()),
            );
            assert_eq!(out.trim(), "ran -F -u nut", "{wrapper} with MODE={mode}");
        }
    }
}

/// A stand-in for one of Debian's nut packages: its name, version 2.8.0-7, the /etc/nut
/// conffiles and a few program paths it has in common with ours, no maintainer scripts.
fn debian_stand_in(dir: &Path, name: &str, conffiles: &[&str], programs: &[&str], depends: &str) -> PathBuf {
    let s = dir.join(name);
    fs::create_dir_all(s.join("DEBIAN")).expect("mkdir");
    let mut list = String::new();
    for f in conffiles {
        let p = s.join("etc/nut").join(f);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, format!("# {name}'s sample {f}\n")).expect("conffile");
        // As Debian's postinst leaves them on a first install.
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).expect("chmod");
        list.push_str(&format!("/etc/nut/{f}\n"));
    }
    fs::write(s.join("DEBIAN/conffiles"), list).expect("conffiles");
    for prog in programs {
        let p = s.join(prog);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, "#!/bin/sh\nexit 0\n").expect("program");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    fs::write(
        s.join("DEBIAN/control"),
        format!(
            "Package: {name}\nVersion: 2.8.0-7\nArchitecture: all\nMaintainer: test <test@localhost>\n{depends}\
             Description: stand-in for Debian's {name}\n"
        ),
    )
    .expect("control");
    let deb = dir.join(format!("{name}.deb"));
    run_ok(Command::new("dpkg-deb").args(["--root-owner-group", "--build"]).arg(&s).arg(&deb));
    deb
}

#[test]
fn switch_from_debians_packages_and_back() {
    let test = "deb_package::switch_from_debians_packages_and_back";
    let Some(deb) = package(test) else { return };
    if !require(test, Prereq::Root) {
        return;
    }
    // Debian's split (dpkg -L nut-server nut-client): which package owns which conffile, and
    // program paths both packages and ours ship.
    let work = TempDir::new().expect("tempdir");
    let client = debian_stand_in(
        work.path(),
        "nut-client",
        &["nut.conf", "upsmon.conf", "upssched.conf"],
        &["lib/nut/upsmon", "sbin/upsmon", "bin/upsc"],
        "",
    );
    let server = debian_stand_in(
        work.path(),
        "nut-server",
        &["ups.conf", "upsd.conf", "upsd.users"],
        &["lib/nut/upsd", "sbin/upsd", "lib/nut/usbhid-ups"],
        "Depends: nut-client (= 2.8.0-7)\n",
    );
    let scratch = scratch_root();
    let root = scratch.path();
    let pkgs = |root: &Path| {
        let out = run(Command::new("dpkg-query")
            .arg(format!("--admindir={}", root.join("var/lib/dpkg").display()))
            .args(["-W", "-f=${Package} ${db:Status-Abbrev}\n"]));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    dpkg_ok(root, &["--install", &client.to_string_lossy(), &server.to_string_lossy()]);
    let ups_conf = root.join("etc/nut/ups.conf");
    let mut text = fs::read_to_string(&ups_conf).expect("ups.conf");
    text.push_str("[myups]\n\tdriver = usbhid-ups\n\tport = auto\n");
    fs::write(&ups_conf, &text).expect("edit");

    // `apt install ./nut-rs.deb`: Conflicts + Replaces make dpkg remove both in its favour.
    let log = dpkg_ok(root, &["--install", &deb.to_string_lossy()]);
    eprintln!("switch to nut-rs:\n{log}");
    let state = pkgs(root);
    assert!(state.contains("nut-rs ii"), "{state}");
    for p in ["nut-server", "nut-client"] {
        assert!(!state.contains(&format!("{p} ii")), "{p} still installed: {state}");
    }
    assert_eq!(fs::read_to_string(&ups_conf).expect("ups.conf"), text, "the edited ups.conf changed");
    // Our programs now sit where Debian's did.
    let upsd = fs::read(root.join("lib/nut/upsd")).expect("upsd");
    assert!(upsd.starts_with(b"\x7fELF"), "/lib/nut/upsd is not ours");
    let gid = gid_in(root, "nut").expect("group nut");
    let m = fs::metadata(root.join("etc/nut/upsd.users")).expect("upsd.users");
    assert_eq!((m.gid(), m.mode() & 0o007), (gid, 0), "upsd.users: group nut, nothing for others");

    // And back: remove ours (apt does it for the Conflicts), install Debian's again.
    dpkg_ok(root, &["--remove", "nut-rs"]);
    let log = dpkg_ok(root, &["--install", &client.to_string_lossy(), &server.to_string_lossy()]);
    eprintln!("back to Debian's:\n{log}");
    let state = pkgs(root);
    assert!(state.contains("nut-server ii") && state.contains("nut-client ii"), "{state}");
    assert_eq!(fs::read_to_string(&ups_conf).expect("ups.conf"), text, "the edited ups.conf changed");
    assert_eq!(
        fs::read(root.join("sbin/upsd")).expect("upsd"),
        b"#!/bin/sh\nexit 0\n",
        "/sbin/upsd is not Debian's"
    );
}
