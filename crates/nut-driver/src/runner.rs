//! The driver process: flags, configuration, start-up order, the poll loop and clean exit.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nut_proto::sock::{DriverMsg, ServerMsg};

use crate::config::{build_context, parse_cli, usage, Action, Context};
use crate::reload::Reloader;
use crate::server::Server;
use crate::{CmdResult, Driver, State};

/// Write end of the self-pipe the signal handler writes to (-1 when not installed).
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is a valid local byte.
        unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    }
}

/// Install handlers for the stop and reload signals; returns the read end of the pipe.
fn install_signals() -> std::io::Result<libc::c_int> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two fds into the array we pass.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    SIGNAL_PIPE.store(fds[1], Ordering::Relaxed);
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT, libc::SIGHUP] {
        // SAFETY: the handler only calls write(2) on a pipe, which is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    // SAFETY: ignoring SIGPIPE makes writes to a closed socket return EPIPE instead of killing us.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    Ok(fds[0])
}

fn progname(argv0: &str) -> String {
    Path::new(argv0)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| argv0.to_string())
}

/// Run a driver: `args` is the full argument vector (program name first). Returns the exit
/// status NUT's drivers use (0 on clean stop, 1 on errors).
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
    let cli = match parse_cli(args.get(1..).unwrap_or(&[])) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{prog}: {e}\nTry -h for help.");
            return ExitCode::FAILURE;
        }
    };
    match &cli.action {
        Some(Action::Help) => {
            print!("{}", usage(&prog, &banner, &specs));
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
                    crate::OptKind::Value => println!("VALUE {} \"{}\"", o.name, o.help),
                    crate::OptKind::Flag => println!("FLAG {} \"{}\"", o.name, o.help),
                }
            }
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    if cli.quiet == 0 {
        println!("{banner}");
    }
    nut_daemon::log::init(&prog, cli.debug);
    // As NUT's drivers: without debugging, start-up problems go to syslog too, not only to a
    // stderr that nobody may read.
    if nut_daemon::log::debug_level() == 0 && cli.dump_count.is_none() {
        nut_daemon::log::syslog_also();
    }

    let conf = if cli.section.is_some() {
        let path = nut_core::paths::conf_path().join("ups.conf");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "Fatal error: can't open {}: {e} (create it, or point NUT_CONFPATH at its directory)",
                    path.display()
                );
                return ExitCode::FAILURE;
            }
        };
        match nut_conf::ups_conf::parse(&text, &path.display().to_string()) {
            Ok((c, warnings)) => {
                for w in warnings {
                    tracing::warn!("{w}");
                }
                Some(c)
            }
            Err(diags) => {
                eprint!("{}", nut_conf::render(&diags));
                if let Some(Action::Control(cmd)) = &cli.action {
                    // The running driver is not signalled, so it keeps its configuration.
                    eprintln!(
                        "Fatal error in parsing {}: fix the lines above, then run -c {cmd} again \
                         (nothing was sent to the running driver)",
                        path.display()
                    );
                } else {
                    eprintln!("Fatal error in parsing {}: fix the lines above", path.display());
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
    let instance = format!("{prog}-{}", ctx.upsname);

    if let Some(Action::Control(cmd)) = &cli.action {
        let cmd = if cmd == "exit" { "stop" } else { cmd.as_str() };
        return match nut_daemon::control::send(&instance, &ctx.pidpath, cmd, None) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }

    // The account the driver runs as once the device is open: -u, `user =`, else `nut` when
    // root (NUT's RUN_AS_USER). Check now, before touching the device, that it can do what the
    // driver does after the drop: create the socket and PID file, re-read its files.
    let kill = cli.action == Some(Action::Kill);
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
    }

    let mut state = State::new();
    publish_driver_vars(&ctx, &prog, info.version, &mut state);
    if let Err(e) = driver.init(&ctx, &mut state) {
        eprintln!("{prog}: cannot start UPS [{}] on {}: {e}", ctx.upsname, ctx.port);
        return ExitCode::FAILURE;
    }
    if kill {
        return match driver.shutdown(&mut state) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("Shutdown failed: {e}");
                ExitCode::FAILURE
            }
        };
    }
    finish_init(&ctx, &mut state);

    // The device is open: drop root before creating anything, as NUT does, so the socket and
    // PID file belong to the driver's account and upsd (same account or group) can connect.
    if let Some(user) = &user {
        if let Err(e) = nut_daemon::privs::drop_to(user) {
            eprintln!("{prog}: can't switch to user {user}: {e}");
            return ExitCode::FAILURE;
        }
        tracing::debug!("running as user {user}");
    }

    let sock_path = nut_core::paths::driver_socket(&ctx.statepath, &prog, &ctx.upsname);
    let mut server = match Server::bind(&sock_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{prog}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(group) = &ctx.group {
        if let Err(e) = give_socket_to_group(&sock_path, group) {
            tracing::warn!("{e}");
        }
    }
    let foreground = cli.foreground || (cli.debug > 0 && !cli.background) || cli.dump_count.is_some();
    if !foreground {
        if let Err(e) = nut_daemon::background::daemonize() {
            eprintln!("{prog}: cannot go to the background: {e}");
            return ExitCode::FAILURE;
        }
    }
    let pid_path = ctx.pidpath.join(format!("{instance}.pid"));
    let _pidfile = match nut_daemon::pidfile::PidFile::create(&pid_path) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(
                "can't write PID file {}: {e}; -c reload/exit will not find this driver",
                pid_path.display()
            );
            None
        }
    };
    let sigfd = match install_signals() {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("{prog}: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    state.take_changes();
    let mut reloader = Reloader::new(&prog, &cli, &specs);
    match cli.dump_count {
        Some(n) => tracing::debug!("Driver initialization completed, beginning data dump ({n} loops)"),
        None => tracing::debug!("Driver initialization completed, beginning regular infinite loop"),
    }
    let code =
        main_loop(&mut driver, &mut ctx, &mut state, &mut server, sigfd, cli.dump_count, &mut reloader);
    drop(server);
    code
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
    let mut diags = check_dir_writable(&ctx.statepath, reader, prog);
    if ctx.pidpath != ctx.statepath {
        // A PID file that can't be written only costs `-c reload/exit`: warn.
        diags.extend(check_dir_writable(&ctx.pidpath, reader, prog).into_iter().map(|mut d| {
            d.severity = nut_conf::Severity::Warning;
            d
        }));
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

/// The `driver.*` variables every NUT 2.8.0 driver publishes before its own data.
fn publish_driver_vars(ctx: &Context, prog: &str, version: &str, state: &mut State) {
    state.set_info("device.type", "ups");
    state.set_info("driver.parameter.port", &ctx.port);
    for (k, v) in &ctx.options {
        match v {
            Some(v) => state.set_info(&format!("driver.parameter.{k}"), v),
            None => state.set_info(&format!("driver.flag.{k}"), "enabled"),
        };
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
    ctx: &mut Context,
    state: &mut State,
    server: &mut Server,
    sigfd: libc::c_int,
    dump_count: Option<u32>,
    reloader: &mut Reloader,
) -> ExitCode {
    let mut next = Instant::now();
    let mut updates = 0u32;
    loop {
        let now = Instant::now();
        if now >= next {
            if let Err(e) = driver.update(state) {
                tracing::warn!("update failed: {e}");
                if !state.is_stale() {
                    state.data_stale();
                }
            }
            next = now + Duration::from_secs(u64::from(ctx.pollinterval));
            updates += 1;
            if let Some(n) = dump_count {
                if updates >= n {
                    let mut out = std::io::stdout().lock();
                    for v in state.vars() {
                        let _ = writeln!(out, "{}: {}", v.name, v.value);
                    }
                    return ExitCode::SUCCESS;
                }
            }
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
        let wait = next.saturating_duration_since(Instant::now());
        let ms = wait.as_millis().min(i32::MAX as u128) as libc::c_int;
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
                    if i32::from(s) == libc::SIGHUP {
                        tracing::info!("SIGHUP: reading ups.conf again");
                        let before = ctx.pollinterval;
                        reloader.reload(driver, ctx, state);
                        if ctx.pollinterval < before {
                            // A shorter interval counts from now, not from the old deadline.
                            next =
                                next.min(Instant::now() + Duration::from_secs(u64::from(ctx.pollinterval)));
                        }
                        server.broadcast(&state.take_changes());
                    } else {
                        tracing::info!("Signal {s}: exiting");
                        return ExitCode::SUCCESS;
                    }
                }
            }
        }
        for req in server.service(&fds) {
            handle(driver, state, server, req.client, req.msg);
            server.broadcast(&state.take_changes());
        }
    }
}

/// Answer one socket request.
fn handle<D: Driver>(driver: &mut D, state: &mut State, server: &mut Server, client: usize, msg: ServerMsg) {
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
            let r = driver.instcmd(&cmd, param.as_deref(), state);
            if r != CmdResult::Handled {
                tracing::info!("instcmd: {cmd} {}: {r:?}", param.as_deref().unwrap_or(""));
            }
            // Broadcast the effects before the TRACKING answer, as NUT does.
            server.broadcast(&state.take_changes());
            tracking.map(|id| DriverMsg::Tracking(id, r as i64)).into_iter().collect()
        }
        ServerMsg::Set { var, value, tracking } => {
            let r = driver.set_var(&var, &value, state);
            if r != CmdResult::Handled {
                tracing::info!("setvar: {var}={value}: {r:?}");
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
