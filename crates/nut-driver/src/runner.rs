//! The driver process: flags, configuration, start-up order, the poll loop and clean exit.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nut_proto::sock::{DriverMsg, ServerMsg};

use crate::config::{build_context, parse_cli, usage, Action, Context};
use crate::framework::{shutdown_sequence, Debug, Framework};
use crate::reload::{Kind, Reloader};
use crate::server::Server;
use crate::{CmdResult, Driver, DriverError, State};

/// Write end of the self-pipe the signal handler writes to (-1 when not installed).
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);
/// Read end of that pipe (-1 when not installed).
static SIGNAL_READ: AtomicI32 = AtomicI32::new(-1);

/// Reload and dump signals: SIGHUP reload, SIGUSR1 reload-or-exit (what NUT >= 2.8.1's systemd
/// units send), SIGURG dump the data on stdout. Recorded from early in the start-up, as NUT
/// does, so that one arriving while the driver starts is acted on in the main loop instead of
/// killing the driver (their default action).
const RELOAD_SIGNALS: [libc::c_int; 3] = [libc::SIGHUP, libc::SIGUSR1, libc::SIGURG];
/// Stop signals: recorded once the socket is about to exist (there is something to clean up);
/// before that their default action stops the driver at once, even in a long device init.
const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT];

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is a valid local byte.
        unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    }
}

/// Record `sigs` in the self-pipe (made on the first call, with SIGPIPE ignored); returns the
/// read end of the pipe.
fn install_signals(sigs: &[libc::c_int]) -> std::io::Result<libc::c_int> {
    if SIGNAL_READ.load(Ordering::Relaxed) < 0 {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe2 writes two fds into the array we pass.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        SIGNAL_PIPE.store(fds[1], Ordering::Relaxed);
        SIGNAL_READ.store(fds[0], Ordering::Relaxed);
        // SAFETY: ignoring SIGPIPE makes writes to a closed socket return EPIPE instead of
        // killing us.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    }
    for &sig in sigs {
        // SAFETY: the handler only calls write(2) on a pipe, which is async-signal-safe.
        let rc = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(SIGNAL_READ.load(Ordering::Relaxed))
}

fn progname(argv0: &str) -> String {
    Path::new(argv0)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| argv0.to_string())
}

/// Run a driver: `args` is the full argument vector (program name first). Returns the exit
/// status NUT's drivers use (0 on clean stop, 1 on errors; `-c` returns the driver's answer).
pub fn run<D: Driver>(mut args: Vec<String>, mut driver: D) -> ExitCode {
    let prog = progname(args.first().map(String::as_str).unwrap_or("driver"));
    // `--check-config` (our addition; NUT's drivers have no check mode): validate ups.conf,
    // this driver's options and the files and directories it will need, then exit.
    let check_only = match args.iter().position(|a| a == "--check-config") {
        Some(i) => {
            args.remove(i);
            true
        }
        None => false,
    };
    let info = driver.info();
    let banner = nut_core::driver_banner(info.description, info.version);
    let specs = driver.options();
    // NUT's main.c prints this after the banner for DRV_EXPERIMENTAL drivers, banner or not.
    let experimental = || {
        if driver.experimental() {
            println!("Warning: This is an experimental driver.\nSome features may not function correctly.\n");
        }
    };
    let cli = match parse_cli(args.get(1..).unwrap_or(&[])) {
        Ok(c) => c,
        Err(e) if e.starts_with("Error:") => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{prog}: {e}\nTry -h for help.");
            return ExitCode::FAILURE;
        }
    };
    match &cli.action {
        Some(Action::Help) => {
            if driver.experimental() {
                print!("{}", usage(&prog, &banner, &specs).replacen(
                    &format!("{banner}\n"),
                    &format!("{banner}\nWarning: This is an experimental driver.\nSome features may not function correctly.\n\n"),
                    1,
                ));
            } else {
                print!("{}", usage(&prog, &banner, &specs));
            }
            if let Some(h) = driver.help() {
                println!("{h}");
            }
            return ExitCode::SUCCESS;
        }
        Some(Action::Version) => {
            println!("{banner}");
            return ExitCode::SUCCESS;
        }
        Some(Action::ListVars) => {
            for o in &specs {
                match o.kind {
                    crate::OptKind::Value | crate::OptKind::OptionalValue => {
                        println!("VALUE {} \"{}\"", o.name, o.help)
                    }
                    crate::OptKind::Flag => println!("FLAG {} \"{}\"", o.name, o.help),
                }
            }
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    if cli.quiet == 0 && !nut_core::banner_disabled(std::env::var("NUT_QUIET_INIT_BANNER").ok().as_deref()) {
        println!("{banner}");
    }
    experimental();
    nut_daemon::log::init_with_quiet(&prog, cli.debug, cli.quiet);
    // `-D` count, or NUT_DEBUG_LEVEL without -D: what debug_min and driver.debug mix with.
    let args_level = nut_daemon::log::debug_level();
    // As NUT's drivers: without debugging, start-up problems go to syslog too, not only to a
    // stderr that nobody may read.
    if args_level == 0 && cli.dump_count.is_none() {
        nut_daemon::log::syslog_also();
    }

    let conf_path = nut_core::paths::conf_path().join("ups.conf");
    let conf_file = conf_path.display().to_string();
    let conf = if cli.section.is_some() {
        let text = match std::fs::read_to_string(&conf_path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "Fatal error: can't open {conf_file}: {e} (create it, or point NUT_CONFPATH at its directory)"
                );
                return ExitCode::FAILURE;
            }
        };
        match nut_conf::ups_conf::parse(&text, &conf_file) {
            Ok((c, warnings)) => {
                for w in warnings {
                    nut_daemon::warn!("{w}");
                }
                let env = std::env::var("NUT_STATEPATH").ok();
                if let Some(w) =
                    crate::config::statepath_override_warning(c.globals.statepath.as_deref(), env.as_deref())
                {
                    nut_daemon::warn!("{w}");
                }
                Some(c)
            }
            Err(diags) => {
                eprint!("{}", nut_conf::render(&diags));
                if let Some(Action::Control(cmd)) = &cli.action {
                    // The running driver is not signalled, so it keeps its configuration.
                    eprintln!(
                        "Fatal error in parsing {conf_file}: fix the lines above, then run -c {cmd} again \
                         (nothing was sent to the running driver)"
                    );
                } else {
                    eprintln!("Fatal error in parsing {conf_file}: fix the lines above");
                }
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let mut ctx = match build_context(&prog, &cli, conf.as_ref(), &specs, |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if conf.is_some() {
        ctx.conf_file = Some(conf_file.clone());
    }

    if let Some(Action::Control(cmd)) = &cli.action {
        return crate::client::control(&prog, &ctx, cli.pid, cmd);
    }

    // The account the driver runs as once the device is open: -u, `user =`, else `nut` when
    // root (NUT's RUN_AS_USER). Check now, before touching the device, that it can do what the
    // driver does after the drop: create the socket and PID file, re-read its files.
    let kill = cli.action == Some(Action::Kill);
    let dump = cli.dump_count;
    let user = nut_daemon::privs::run_as(ctx.user.as_deref());
    if !kill {
        let reader = match nut_daemon::privs::reader_for(user.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{prog}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let diags = startup_checks(
            &driver,
            &ctx,
            &reader,
            &prog,
            cli.section.is_some().then_some(conf.as_ref()).flatten(),
        );
        for d in &diags {
            eprintln!("{d}");
        }
        if diags.iter().any(nut_conf::Diagnostic::is_error) {
            eprintln!(
                "{prog}: not starting: it would run as user {} and fail after dropping root privileges; \
                 fix the permissions above (or choose the account with -u / user = in ups.conf)",
                reader.name
            );
            return ExitCode::FAILURE;
        }
    }
    if check_only {
        let problems = driver.check(&ctx);
        for p in &problems {
            eprintln!("{prog}: error: {p}");
        }
        if !problems.is_empty() {
            return ExitCode::FAILURE;
        }
        println!("{prog}: configuration of UPS [{}] checked: no errors", ctx.upsname);
        return ExitCode::SUCCESS;
    }

    let foreground = foreground(&cli);
    // NUT writes the PID file when going to the background and with -FF (never for -d or -k);
    // those modes and -k also stop an older instance named in the PID file.
    let write_pid = dump.is_none() && (!foreground || cli.foreground >= 2);
    if kill {
        // NUT 2.8.5: a running driver of this UPS holds the device; ask it to power off.
        if let Some(code) = crate::client::killpower_via_running(&prog, &ctx) {
            return code;
        }
    }
    if !kill && dump.is_none() {
        // From here a reload or dump request waits for the main loop (NUT sets its handlers up
        // at this point too; -k and -d keep the default actions, as NUT's).
        if let Err(e) = install_signals(&RELOAD_SIGNALS) {
            eprintln!("{prog}: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    }
    if dump.is_none() {
        // A running driver of this UPS (a restart, or two starts) is asked to go first.
        crate::client::stop_running_instance(&prog, &ctx, write_pid || kill);
    }

    let debug = Debug { args: args_level, conf: ctx.debug_min, protocol: None };
    nut_daemon::log::set_debug_level(debug.effective());
    if let Some(l) = ctx.libusb_debug {
        let level = if debug.effective() > 0 { 1 } else { 0 };
        if let Ok(old) = std::env::var("LIBUSB_DEBUG") {
            log_at(level, &format!("Old value of LIBUSB_DEBUG={old} in envvars"));
        }
        log_at(level, &format!("Enabling LIBUSB_DEBUG={l} from ups.conf"));
        // Single-threaded here: nothing else reads the environment concurrently.
        std::env::set_var("LIBUSB_DEBUG", l.to_string());
    }

    let mut state = State::new();
    state.set_info("driver.state", "init.starting");
    publish_driver_vars(&ctx, &prog, info.version, &mut state);
    let mut fw = Framework {
        prog: prog.clone(),
        reloader: Reloader::new(&prog, &cli, &specs),
        ctx,
        debug,
        exit: None,
        pending_reload: None,
    };
    fw.apply_debug(&mut state);
    state.set_info("driver.state", "init.device");
    if let Err(e) = driver.init(&fw.ctx, &mut state) {
        eprintln!("{prog}: cannot start UPS [{}] on {}: {e}", fw.ctx.upsname, fw.ctx.port);
        return ExitCode::FAILURE;
    }
    state.set_info("driver.state", "init.quiet");
    state.add_cmd("shutdown.default");
    if kill {
        nut_daemon::info!("Initiating UPS [{}] shutdown", fw.ctx.upsname);
        state.set_info("driver.state", "fsd.killpower");
        let used = shutdown_sequence(&mut driver, &mut state, fw.ctx.sdcommands.as_deref(), &fw.ctx.upsname);
        return if used.is_some() { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    // As NUT: one update before anyone is served.
    state.set_info("driver.state", "init.updateinfo");
    if let Err(DriverError::GiveUp(why)) = update_once(&mut driver, &mut state) {
        eprintln!("{prog}: UPS [{}]: {why}", fw.ctx.upsname);
        return ExitCode::FAILURE;
    }
    state.set_info("driver.state", "init.quiet");
    if fw.ctx.ignorelb {
        if let Err(e) = check_ignorelb(&state) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    finish_init(&fw.ctx, &mut state);

    if let Some(n) = dump {
        // -d: a few updates, then the data on stdout; no socket, no PID file (as NUT).
        nut_daemon::debug!("Driver initialization completed, beginning data dump ({n} loops)");
        for _ in 0..n {
            state.set_info("driver.state", "updateinfo");
            if let Err(DriverError::GiveUp(why)) = update_once(&mut driver, &mut state) {
                eprintln!("{prog}: UPS [{}]: {why}", fw.ctx.upsname);
                return ExitCode::FAILURE;
            }
            state.set_info("driver.state", "quiet");
        }
        state.set_info("driver.state", "dumping");
        print_dump(&state);
        return ExitCode::SUCCESS;
    }

    // The service manager's socket is opened while its path is still reachable (chroot).
    nut_daemon::notify::init();
    if let Some(dir) = fw.ctx.chroot.clone() {
        // The account is looked up before the jail hides the password and group files.
        let account = match user.as_deref().map(nut_daemon::privs::lookup).transpose() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{prog}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let groups = account.as_ref().map(nut_daemon::privs::groups_of).unwrap_or_default();
        if let Err(e) = chroot(&dir).and_then(|()| match &account {
            Some(a) => become_account(a, &groups),
            None => Ok(()),
        }) {
            eprintln!("{prog}: {e}");
            return ExitCode::FAILURE;
        }
    } else if let Some(user) = &user {
        // The device is open: drop root before creating anything, as NUT does, so the socket and
        // PID file belong to the driver's account and upsd (same account or group) can connect.
        if let Err(e) = nut_daemon::privs::drop_to(user) {
            eprintln!("{prog}: can't switch to user {user}: {e}");
            return ExitCode::FAILURE;
        }
        nut_daemon::debug!("running as user {user}");
    }

    // A stop signal from now on is handled by the main loop, which removes the socket.
    let sigfd = match install_signals(&STOP_SIGNALS) {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("{prog}: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sock_path = nut_core::paths::driver_socket(&fw.ctx.statepath, &prog, &fw.ctx.upsname);
    let mut server = match Server::bind(&sock_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{prog}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(group) = &fw.ctx.group {
        if let Err(e) = give_socket_to_group(&sock_path, group) {
            nut_daemon::warn!("{e}");
        }
    }
    if !foreground {
        if let Err(e) = nut_daemon::background::daemonize() {
            eprintln!("{prog}: cannot go to the background: {e}");
            return ExitCode::FAILURE;
        }
    }
    let pid_path = fw.ctx.pidpath.join(format!("{prog}-{}.pid", fw.ctx.upsname));
    let _pidfile = if write_pid {
        if foreground {
            nut_daemon::warn!("Running as foreground process, but saving a PID file anyway");
        }
        match nut_daemon::pidfile::PidFile::create(&pid_path) {
            Ok(p) => Some(p),
            Err(e) => {
                nut_daemon::warn!(
                    "can't write PID file {}: {e}; -c reload/exit will reach this driver through its \
                     socket only",
                    pid_path.display()
                );
                None
            }
        }
    } else {
        nut_daemon::warn!("Running as foreground process, not saving a PID file");
        None
    };
    fw.publish_ready(&mut state);
    state.take_changes();
    nut_daemon::debug!("Driver initialization completed, beginning regular infinite loop");
    // The socket listens and holds the first update: the driver serves.
    nut_daemon::notify::ready();
    nut_daemon::memory::release_startup_memory();
    let code = main_loop(&mut driver, &mut fw, &mut state, &mut server, sigfd);
    nut_daemon::notify::stopping(None);
    // Last words to the clients (NUT's cleanup.exit), then the socket goes away.
    state.set_info("driver.state", "cleanup.exit");
    server.broadcast(&state.take_changes());
    server.flush_and_reap();
    drop(server);
    code
}

/// Whether the driver stays in the foreground: NUT's rule (last of -F/-B, else -D or -d).
fn foreground(cli: &crate::config::Cli) -> bool {
    if cli.background {
        false
    } else {
        cli.foreground > 0 || cli.debug > 0 || cli.dump_count.is_some()
    }
}

/// Log at NUT debug level `level` (0: always).
fn log_at(level: u8, msg: &str) {
    if level == 0 {
        nut_daemon::info!("{msg}");
    } else {
        nut_daemon::debug!("{msg}");
    }
}

/// One driver update with the framework around it: `battery.charge` is noted first (for the
/// CHRG/DISCHRG fallback), and a failure marks the data stale.
fn update_once<D: Driver>(driver: &mut D, state: &mut State) -> Result<(), DriverError> {
    state.remember_battery_charge();
    let r = driver.update(state);
    if let Err(e) = &r {
        nut_daemon::warn!("update failed: {e}");
        if !state.is_stale() {
            state.data_stale();
        }
    }
    r
}

/// NUT's start-up check for `ignorelb`: the driver must publish a charge or runtime and its
/// low limit.
fn check_ignorelb(state: &State) -> Result<(), String> {
    let mut ways = 0;
    if state.get_info("battery.charge").is_some() && state.get_info("battery.charge.low").is_some() {
        nut_daemon::info!("using 'battery.charge' to set battery low state");
        ways += 1;
    }
    if state.get_info("battery.runtime").is_some() && state.get_info("battery.runtime.low").is_some() {
        nut_daemon::info!("using 'battery.runtime' to set battery low state");
        ways += 1;
    }
    if ways == 0 {
        return Err("The 'ignorelb' flag is set, but there is no way to determine the\n\
                    battery state of charge.\n\n\
                    Only set this flag if both 'battery.charge' and 'battery.charge.low'\n\
                    and/or 'battery.runtime' and 'battery.runtime.low' are available.\n"
            .into());
    }
    Ok(())
}

/// The data tree in upsc's form (`-d`, SIGURG).
fn print_dump(state: &State) {
    let mut out = std::io::stdout().lock();
    for v in state.vars() {
        let _ = writeln!(out, "{}: {}", v.name, v.value);
    }
    let _ = out.flush();
}

/// Switch to `acct` with `groups` inside a chroot (where initgroups could not read the group
/// file). A no-op when not root or when the account is root.
fn become_account(acct: &nut_daemon::privs::Account, groups: &[u32]) -> Result<(), String> {
    if nut_daemon::privs::euid() != 0 || acct.uid == 0 {
        return Ok(());
    }
    let gids: Vec<libc::gid_t> = groups.to_vec();
    // SAFETY: plain libc calls with valid arguments; failures are checked through return codes.
    unsafe {
        if libc::setgroups(gids.len(), gids.as_ptr()) != 0
            || libc::setgid(acct.gid) != 0
            || libc::setuid(acct.uid) != 0
        {
            return Err(format!("can't switch to user {}: {}", acct.name, std::io::Error::last_os_error()));
        }
        if libc::setuid(0) == 0 {
            return Err(format!("switched to {} but could still regain root; refusing to run", acct.name));
        }
    }
    nut_daemon::debug!("running as user {} in the chroot", acct.name);
    Ok(())
}

/// `chroot` / `-r`: enter `dir` (as root, before dropping privileges).
fn chroot(dir: &str) -> Result<(), String> {
    let c = std::ffi::CString::new(dir).map_err(|_| format!("bad chroot directory {dir:?}"))?;
    // SAFETY: chroot(2) and chdir(2) take a valid NUL-terminated path.
    let rc = unsafe { libc::chroot(c.as_ptr()) };
    if rc != 0 {
        return Err(format!(
            "can't chroot to {dir}: {} (chroot in ups.conf or -r; the driver must start as root)",
            std::io::Error::last_os_error()
        ));
    }
    std::env::set_current_dir("/").map_err(|e| format!("can't chdir to / in chroot {dir}: {e}"))?;
    nut_daemon::debug!("chrooted to {dir}");
    Ok(())
}

/// What must hold for the driver's account after the drop: the state path (socket) and PID
/// path are writable, the files the driver re-reads are readable; and ups.conf, when it holds
/// a driver password or SNMP community, is not open to everybody (a warning only: it is read
/// once, as root).
fn startup_checks<D: Driver>(
    driver: &D,
    ctx: &Context,
    reader: &nut_conf::perms::Reader,
    prog: &str,
    conf: Option<&nut_conf::ups_conf::UpsConf>,
) -> Vec<nut_conf::Diagnostic> {
    use nut_daemon::files::{check_dir_writable, check_file, FileKind};
    // With a chroot, the state and PID paths are inside it.
    let mut diags = check_dir_writable(&ctx.host_path(&ctx.statepath), reader, prog);
    if ctx.pidpath != ctx.statepath {
        // A PID file that can't be written only costs `-c reload/exit`: warn.
        diags.extend(check_dir_writable(&ctx.host_path(&ctx.pidpath), reader, prog).into_iter().map(
            |mut d| {
                d.severity = nut_conf::Severity::Warning;
                d
            },
        ));
    }
    for f in driver.files_read_after_drop(ctx) {
        diags.extend(check_file(&f, FileKind::Config, reader, prog));
    }
    if let Some(conf) = conf {
        if nut_conf::perms::ups_conf_has_secret(conf) {
            let path = nut_core::paths::conf_path().join("ups.conf");
            diags.extend(
                check_file(&path, FileKind::Secret, reader, prog).into_iter().filter(|d| !d.is_error()),
            );
        }
    }
    diags
}

/// Give the socket to `group` (`-g`, `group =`) with group read/write, so a upsd running as
/// another user of that group can connect. After the drop this works only if the driver's
/// account is in that group, as in NUT.
fn give_socket_to_group(sock: &Path, group: &str) -> Result<(), String> {
    let cname = std::ffi::CString::new(group).map_err(|_| format!("bad group name {group:?}"))?;
    // SAFETY: getgrnam returns NULL or a pointer to static storage; we copy the gid at once.
    let gid = unsafe {
        let gr = libc::getgrnam(cname.as_ptr());
        if gr.is_null() {
            return Err(format!(
                "group {group:?} (-g / group = in ups.conf) does not exist; create it (groupadd {group}) or fix the name"
            ));
        }
        (*gr).gr_gid
    };
    std::os::unix::fs::chown(sock, None, Some(gid)).map_err(|e| {
        format!(
            "can't give the driver socket {} to group {group}: {e}. The driver runs as user {} \
             which must be in that group: usermod -aG {group} {}; otherwise upsd may fail to \
             connect to the driver",
            sock.display(),
            nut_daemon::privs::user_name(nut_daemon::privs::euid()),
            nut_daemon::privs::user_name(nut_daemon::privs::euid()),
        )
    })
}

/// The `driver.*` variables every NUT 2.8.5 driver publishes before its own data.
fn publish_driver_vars(ctx: &Context, prog: &str, version: &str, state: &mut State) {
    state.set_info("device.type", "ups");
    state.set_info("driver.parameter.port", &ctx.port);
    for (on, flag) in [(ctx.nolock, "nolock"), (ctx.ignorelb, "ignorelb")] {
        if on {
            state.set_info(&format!("driver.flag.{flag}"), "enabled");
        }
    }
    if ctx.allow_killpower {
        state.set_info("driver.flag.allow_killpower", "1");
    }
    if let Some(sd) = &ctx.sdcommands {
        state.set_info("driver.parameter.sdcommands", sd);
    }
    for (k, v) in &ctx.options {
        match v {
            Some(v) => state.set_info(&format!("driver.parameter.{k}"), v),
            None => state.set_info(&format!("driver.flag.{k}"), "enabled"),
        };
    }
    // NUT 2.8.5 also shows default.* and override.* as driver parameters.
    for (prefix, list) in [("default", &ctx.defaults), ("override", &ctx.overrides)] {
        for (k, v) in list {
            state.set_info(&format!("driver.parameter.{prefix}.{k}"), v);
        }
    }
    state.set_info("driver.version", nut_core::NUT_VERSION);
    state.set_info("driver.version.internal", version);
    state.set_info("driver.name", prog);
}

/// After the driver's init: poll interval, synchronous mode, `device.*` copies of `ups.*`,
/// then `default.*` and `override.*` from ups.conf.
fn finish_init(ctx: &Context, state: &mut State) {
    state.set_info("driver.parameter.pollinterval", &ctx.pollinterval.to_string());
    state.set_info("driver.parameter.synchronous", &ctx.synchronous);
    for f in ["mfr", "model", "serial"] {
        if let Some(v) = state.get_info(&format!("ups.{f}")).map(str::to_string) {
            state.set_info(&format!("device.{f}"), &v);
        }
    }
    for (k, v) in &ctx.defaults {
        state.set_default(k, v);
    }
    for (k, v) in &ctx.overrides {
        state.set_override(k, v);
    }
}

fn main_loop<D: Driver>(
    driver: &mut D,
    fw: &mut Framework,
    state: &mut State,
    server: &mut Server,
    sigfd: libc::c_int,
) -> ExitCode {
    let mut next = Instant::now();
    loop {
        // The watchdog is fed from this loop, so a stuck driver stops the pings.
        nut_daemon::notify::watchdog_tick();
        let now = Instant::now();
        if now >= next {
            state.set_info("driver.state", "updateinfo");
            let r = update_once(driver, state);
            state.set_info("driver.state", "quiet");
            if let Err(DriverError::GiveUp(why)) = r {
                nut_daemon::error!("UPS [{}]: {why}", fw.ctx.upsname);
                server.broadcast(&state.take_changes());
                server.flush_and_reap();
                return ExitCode::FAILURE;
            }
            next = now + Duration::from_secs(u64::from(fw.ctx.pollinterval));
        }
        server.broadcast(&state.take_changes());
        server.flush_and_reap();
        if server.take_blocked() && state.get_info("driver.parameter.synchronous") == Some("auto") {
            // Like NUT: a reader too slow for the socket buffer turns `auto` into `yes`.
            state.set_info("driver.parameter.synchronous", "yes");
            server.broadcast(&state.take_changes());
            server.flush_and_reap();
        }

        let mut fds = server.poll_fds();
        fds.push(libc::pollfd { fd: sigfd, events: libc::POLLIN, revents: 0 });
        let wait = nut_daemon::notify::watchdog_wait(next.saturating_duration_since(Instant::now()));
        // Rounded up: a truncated timeout wakes up to 1 ms early and then spins on poll(0)
        // until the deadline (measured: about twice NUT's CPU per poll cycle for nutdrv_qx).
        let ms = wait.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int;
        // SAFETY: fds is a valid array of pollfd for the duration of the call.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if rc < 0 {
            continue;
        }
        if let Some(sp) = fds.pop() {
            if sp.revents & libc::POLLIN != 0 {
                let mut buf = [0u8; 16];
                // SAFETY: reading into a local buffer from our own non-blocking pipe.
                let n = unsafe { libc::read(sigfd, buf.as_mut_ptr().cast(), buf.len()) };
                for &s in buf.iter().take(n.max(0) as usize) {
                    let sig = i32::from(s);
                    if sig == libc::SIGHUP || sig == libc::SIGUSR1 {
                        let kind = if sig == libc::SIGHUP { Kind::Plain } else { Kind::OrExit };
                        fw.pending_reload = Some(kind);
                    } else if sig == libc::SIGURG {
                        nut_daemon::debug!(
                            "starting driver state dump for [{}] due to signal {sig}",
                            fw.ctx.upsname
                        );
                        print_dump(state);
                        nut_daemon::debug!("finished driver state dump for [{}]", fw.ctx.upsname);
                    } else {
                        let why = format!("Signal {sig}: exiting");
                        nut_daemon::info!("{why}");
                        nut_daemon::notify::stopping(Some(&why));
                        return ExitCode::SUCCESS;
                    }
                }
            }
        }
        for req in server.service(&fds) {
            handle(driver, fw, state, server, req.client, req.msg);
            server.broadcast(&state.take_changes());
            if fw.exit.is_some() {
                break;
            }
        }
        if let Some(kind) = fw.pending_reload.take() {
            let before = fw.ctx.pollinterval;
            fw.reload(kind, driver, state);
            if fw.ctx.pollinterval < before {
                // A shorter interval counts from now, not from the old deadline.
                next = next.min(Instant::now() + Duration::from_secs(u64::from(fw.ctx.pollinterval)));
            }
            server.broadcast(&state.take_changes());
        }
        if let Some(code) = fw.exit.take() {
            server.flush_and_reap();
            return code;
        }
    }
}

/// Answer one socket request.
fn handle<D: Driver>(
    driver: &mut D,
    fw: &mut Framework,
    state: &mut State,
    server: &mut Server,
    client: usize,
    msg: ServerMsg,
) {
    let reply: Vec<DriverMsg> = match msg {
        ServerMsg::Ping => vec![DriverMsg::Pong],
        ServerMsg::DumpAll => {
            // The changes so far must reach the other clients first, or they would be lost
            // for them; this client gets the full picture instead.
            server.broadcast(&state.take_changes());
            state.dump()
        }
        ServerMsg::DumpValue(var) => match state.var(&var) {
            Some(v) => vec![DriverMsg::SetInfo(v.name.clone(), v.value.clone())],
            None => Vec::new(),
        },
        ServerMsg::DumpStatus => {
            let mut v = Vec::new();
            if let Some(s) = state.get_info("ups.status") {
                v.push(DriverMsg::SetInfo("ups.status".into(), s.to_string()));
            }
            v.push(if state.is_stale() { DriverMsg::DataStale } else { DriverMsg::DataOk });
            v
        }
        ServerMsg::GetPid => vec![DriverMsg::Pid(i64::from(std::process::id()))],
        ServerMsg::NoBroadcast => {
            if let Some(c) = server.client(client) {
                c.broadcast = false;
            }
            Vec::new()
        }
        ServerMsg::Broadcast(n) => {
            if let Some(c) = server.client(client) {
                c.broadcast = n != Some(0);
            }
            Vec::new()
        }
        ServerMsg::Logout => {
            if let Some(c) = server.client(client) {
                c.send(&DriverMsg::Goodbye);
                c.close_after_flush();
            }
            Vec::new()
        }
        ServerMsg::Instcmd { cmd, param, tracking } => {
            // The framework's commands first, as NUT's main_instcmd.
            let r = match fw.instcmd(driver, state, &cmd) {
                Some(r) => r,
                None => driver.instcmd(&cmd, param.as_deref(), state),
            };
            if r != CmdResult::Handled {
                nut_daemon::info!("instcmd: {cmd} {}: {r:?}", param.as_deref().unwrap_or(""));
            }
            // Broadcast the effects before the TRACKING answer, as NUT does.
            server.broadcast(&state.take_changes());
            tracking.map(|id| DriverMsg::Tracking(id, r as i64)).into_iter().collect()
        }
        ServerMsg::Set { var, value, tracking } => {
            let r = match fw.setvar(state, &var, &value) {
                Some(r) => r,
                None => driver.set_var(&var, &value, state),
            };
            if r != CmdResult::Handled {
                nut_daemon::info!("setvar: {var}={value}: {r:?}");
            }
            server.broadcast(&state.take_changes());
            tracking.map(|id| DriverMsg::Tracking(id, r as i64)).into_iter().collect()
        }
    };
    if let Some(c) = server.client(client) {
        for m in &reply {
            c.send(m);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn foreground_follows_nut_rules() {
        let cli = |s: &str| parse_cli(&s.split_whitespace().map(String::from).collect::<Vec<_>>()).unwrap();
        assert!(!foreground(&cli("-a u")));
        assert!(foreground(&cli("-a u -D")));
        assert!(!foreground(&cli("-a u -D -B")), "-B wins over -D");
        assert!(foreground(&cli("-a u -B -F")), "the last of -B/-F wins");
        assert!(foreground(&cli("-a u -d 1")));
    }

    #[test]
    fn ignorelb_needs_a_charge_or_runtime_limit() {
        let mut s = State::new();
        s.set_info("battery.charge", "50");
        assert!(check_ignorelb(&s).unwrap_err().contains("The 'ignorelb' flag is set"));
        s.set_info("battery.charge.low", "10");
        assert!(check_ignorelb(&s).is_ok());
        let mut s = State::new();
        s.set_info("battery.runtime", "50");
        s.set_info("battery.runtime.low", "10");
        assert!(check_ignorelb(&s).is_ok());
    }
}
