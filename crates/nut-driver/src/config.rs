//! The driver's settings: NUT's common command-line flags, the `ups.conf` section named by
//! `-a`, and `-x key=value` overrides, merged and validated against the driver's option table.
//!
//! Parsing here is pure (argument vector and file text in, [`Context`] or a message out) so it
//! is tested without files or processes.

use std::path::PathBuf;

use nut_conf::ups_conf::{Synchronous, UpsConf, UpsSection};

/// The getopt string of NUT 2.8.5's drivers (`-c` to control a running driver, `-P` to name
/// its PID).
pub const OPTSTRING: &str = "+a:s:kDFBd:hx:Lqr:u:g:Vi:c:P:";

/// Settings of a `ups.conf` section (or `-x`) that the framework handles for every driver;
/// anything else must be one of the driver's own options.
pub const FRAMEWORK_KEYS: &[&str] = &[
    "port",
    "desc",
    "user",
    "group",
    "sdorder",
    "sdcommands",
    "allow_killpower",
    "nolock",
    "ignorelb",
    "maxstartdelay",
    "maxretry",
    "retrydelay",
    "synchronous",
    "debug_min",
    "pollinterval",
    "LIBUSB_DEBUG",
    "reconnect_max_tries",
    "reconnect_report_freq",
];

/// The [`FRAMEWORK_KEYS`] that are flags (given without a value).
const FRAMEWORK_FLAGS: &[&str] = &["allow_killpower", "nolock", "ignorelb"];

/// Whether an option takes a value (`-x name=value`) or is a flag (`-x name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKind {
    /// `name=value`, published as `driver.parameter.<name>`.
    Value,
    /// `name` alone, published as `driver.flag.<name>` = `enabled`.
    Flag,
    /// Either form (NUT's `usb_set_altinterface[=n]`).
    OptionalValue,
}

/// One driver-specific option (NUT's `addvar`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptSpec {
    /// Option name.
    pub name: &'static str,
    /// Value or flag.
    pub kind: OptKind,
    /// One-line help shown by `-h`.
    pub help: &'static str,
}

/// What the driver was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Serve the UPS (the normal case).
    Run,
    /// `-k`: power the UPS off and exit.
    Kill,
    /// `-c <cmd>`: send a command to the running instance. The name is NUT's full name
    /// (`reload`, `reload-or-error`, `reload-or-exit`, `exit`, or our `dump`), abbreviations
    /// already resolved.
    Control(String),
    /// `-h`
    Help,
    /// `-V`
    Version,
    /// `-L`: list the driver's variables in a parseable form.
    ListVars,
}

/// The parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cli {
    /// `-a <id>`: UPS section of ups.conf.
    pub section: Option<String>,
    /// `-s <id>`: UPS name without ups.conf.
    pub standalone: Option<String>,
    /// Number of `-D`.
    pub debug: u8,
    /// `-q` count.
    pub quiet: u8,
    /// `-F` count: 1 stays in the foreground, 2 (`-FF`) also writes the PID file.
    pub foreground: u8,
    /// `-B`
    pub background: bool,
    /// `-u`
    pub user: Option<String>,
    /// `-g`
    pub group: Option<String>,
    /// `-x`, in order.
    pub xvars: Vec<String>,
    /// `-i <seconds>`
    pub pollinterval: Option<u32>,
    /// `-d <count>`: dump the data after that many updates and exit.
    pub dump_count: Option<u32>,
    /// `-r <dir>`
    pub chroot: Option<String>,
    /// `-k`, `-c`, `-h`, `-V`, `-L` or run.
    pub action: Option<Action>,
    /// `-P <pid>`: the process `-c` signals, instead of the one in the PID file.
    pub pid: Option<i32>,
}

/// Parse the arguments after the program name.
pub fn parse_cli(args: &[String]) -> Result<Cli, String> {
    use nut_core::getopt::{parse, Opt};
    let p = parse(args, OPTSTRING);
    let mut cli = Cli::default();
    for o in &p.opts {
        match o {
            Opt::Arg('a', v) => cli.section = Some(v.clone()),
            Opt::Arg('s', v) => cli.standalone = Some(v.clone()),
            Opt::Flag('D') => cli.debug = cli.debug.saturating_add(1),
            Opt::Flag('q') => cli.quiet = cli.quiet.saturating_add(1),
            // As in NUT, the last of -F/-B wins; a second -F asks for the PID file too.
            Opt::Flag('F') => {
                cli.foreground = if cli.foreground > 0 { 2 } else { 1 };
                cli.background = false;
            }
            Opt::Flag('B') => {
                cli.background = true;
                cli.foreground = 0;
            }
            Opt::Arg('u', v) => cli.user = Some(v.clone()),
            Opt::Arg('g', v) => cli.group = Some(v.clone()),
            Opt::Arg('x', v) => cli.xvars.push(v.clone()),
            Opt::Arg('r', v) => cli.chroot = Some(v.clone()),
            Opt::Arg('i', v) => {
                cli.pollinterval =
                    Some(v.parse().map_err(|_| format!("invalid poll interval -i {v}: give seconds"))?)
            }
            Opt::Arg('d', v) => {
                cli.dump_count =
                    Some(v.parse().map_err(|_| format!("invalid dump count -d {v}: give a number"))?)
            }
            Opt::Flag('k') => cli.action = Some(Action::Kill),
            Opt::Arg('c', v) => {
                if matches!(cli.action, Some(Action::Control(_))) {
                    return Err(
                        "Error: only one command per run can be sent with option -c. Try -h for help.".into(),
                    );
                }
                let cmd = nut_daemon::control::driver_command(v)
                    .ok_or_else(|| "Error: unknown argument to option -c. Try -h for help.".to_string())?;
                cli.action = Some(Action::Control(cmd.to_string()));
            }
            Opt::Arg('P', v) => {
                cli.pid = Some(v.trim().parse::<i32>().ok().filter(|p| *p > 0).ok_or_else(|| {
                    format!("invalid PID -P {v}: give the process id of the running driver")
                })?)
            }
            Opt::Flag('h') => return Ok(Cli { action: Some(Action::Help), ..cli }),
            Opt::Flag('V') => cli.action = Some(Action::Version),
            Opt::Flag('L') => cli.action = Some(Action::ListVars),
            Opt::Unknown(c) => return Err(format!("invalid option -- '{c}'")),
            Opt::MissingArg(c) => return Err(format!("option requires an argument -- '{c}'")),
            _ => {}
        }
    }
    Ok(cli)
}

/// Everything a driver needs to know about its instance, after merging ups.conf and `-x`.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Program name (`dummy-ups`), used for the socket and `driver.name`.
    pub progname: String,
    /// UPS name (`-a`/`-s`).
    pub upsname: String,
    /// `port` (device path, file, `auto`, `ups@host`...).
    pub port: String,
    /// Effective driver options in order, `(name, value)` (`None` for flags).
    pub options: Vec<(String, Option<String>)>,
    /// Seconds between updates.
    pub pollinterval: u32,
    /// `synchronous` setting as NUT publishes it (`auto`, `yes`, `no`).
    pub synchronous: String,
    /// Where the socket goes.
    pub statepath: PathBuf,
    /// Where the PID file goes.
    pub pidpath: PathBuf,
    /// `-D` count.
    pub debug: u8,
    /// User to drop to.
    pub user: Option<String>,
    /// Group the socket is given to (`-g`, `group =`), so upsd running in that group connects.
    pub group: Option<String>,
    /// `default.<var>` settings.
    pub defaults: Vec<(String, String)>,
    /// `override.<var>` settings.
    pub overrides: Vec<(String, String)>,
    /// `allow_killpower`
    pub allow_killpower: bool,
    /// `ignorelb`
    pub ignorelb: bool,
    /// `desc` of the section.
    pub desc: Option<String>,
    /// `nolock` (published as `driver.flag.nolock`; our drivers lock no serial port).
    pub nolock: bool,
    /// `sdcommands`: the instant commands `-k` and `driver.killpower` try, in order.
    pub sdcommands: Option<String>,
    /// `debug_min` from ups.conf: the section's, else the global one.
    pub debug_min: Option<u8>,
    /// `LIBUSB_DEBUG` from ups.conf (the section's, else the global one), exported to the
    /// environment before the device is opened.
    pub libusb_debug: Option<u32>,
    /// `reconnect_max_tries` (the section's, else the global one; planned NUT 2.8.6).
    pub reconnect_max_tries: Option<i32>,
    /// `reconnect_report_freq` (the section's, else the global one; planned NUT 2.8.6).
    pub reconnect_report_freq: Option<i32>,
    /// `chroot` (global in ups.conf) or `-r`.
    pub chroot: Option<String>,
    /// The ups.conf file read (for messages).
    pub conf_file: Option<String>,
    /// The line of ups.conf each setting of the section came from (driver options and common
    /// settings); settings given with `-x` are not listed.
    pub lines: Vec<(String, usize)>,
}

impl Context {
    /// The value of option `name`, if given with a value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref())
    }

    /// True if option `name` was given (as a flag or with a value).
    pub fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(k, _)| k == name)
    }

    /// Where a path of the running driver (its state path, PID path) is seen from outside its
    /// `chroot`: under the chroot directory when there is one.
    pub fn host_path(&self, p: &std::path::Path) -> PathBuf {
        match &self.chroot {
            Some(root) => std::path::Path::new(root).join(p.strip_prefix("/").unwrap_or(p)),
            None => p.to_path_buf(),
        }
    }

    /// Where setting `key` was given, for messages: `ups.conf:12` (the file as read), or
    /// `-x key` when the command line set it last.
    pub fn location(&self, key: &str) -> String {
        match (self.lines.iter().rev().find(|(k, _)| k == key), &self.conf_file) {
            (Some((_, line)), Some(file)) => format!("{file}:{line}"),
            (Some((_, line)), None) => format!("ups.conf:{line}"),
            (None, _) => format!("-x {key}"),
        }
    }
}

fn check_option(specs: &[OptSpec], key: &str, value: Option<&str>) -> Result<(), String> {
    if key.starts_with("default.") || key.starts_with("override.") {
        return Ok(());
    }
    // Options every driver accepts besides its own (handled by the framework, upsdrvctl or upsd).
    // Only three are flags; the others need a value (NUT refuses `-x port` as an unknown flag).
    if FRAMEWORK_KEYS.contains(&key) {
        if value.is_none() && !FRAMEWORK_FLAGS.contains(&key) {
            return Err(format!(
                "Fatal error: '{key}' is not a valid flag for this driver (it needs a value: {key}=...)."
            ));
        }
        return Ok(());
    }
    match specs.iter().find(|s| s.name == key) {
        Some(s) if s.kind == OptKind::Value && value.is_none() => {
            Err(format!("Fatal error: '{key}' is not a valid flag for this driver (it needs a value: {key}=...)."))
        }
        Some(s) if s.kind == OptKind::Flag && value.is_some() => {
            Err(format!("Fatal error: '{key}' is not a valid variable for this driver (it is a flag: give it without '=')."))
        }
        Some(_) => Ok(()),
        None => Err(format!(
            "Fatal error: '{key}' is not a valid {} for this driver.\n\nLook in the man page or call \
             this driver with -h for a list of valid variable names and flags.",
            if value.is_some() { "variable" } else { "flag" }
        )),
    }
}

/// Build the context from the command line and (for `-a`) the parsed ups.conf.
///
/// `env` looks up `NUT_STATEPATH`/`NUT_ALTPIDPATH` (a closure so tests need no environment).
pub fn build_context(
    progname: &str,
    cli: &Cli,
    conf: Option<&UpsConf>,
    specs: &[OptSpec],
    env: impl Fn(&str) -> Option<String> + Copy,
) -> Result<Context, String> {
    let mut ctx = Context { progname: progname.to_string(), debug: cli.debug, ..Context::default() };
    let mut statepath = None;
    let mut pollinterval = nut_conf::ups_conf::DEFAULT_POLLINTERVAL;
    ctx.synchronous = Synchronous::Auto.as_str().into();
    match (&cli.section, &cli.standalone) {
        (Some(_), Some(_)) => return Err("Error: use either -a <id> or -s <id>, not both.".into()),
        (None, None) => {
            return Err("Error: specifying '-a <id>' or '-s <id>' is now mandatory\nTry -h for help.".into())
        }
        (Some(id), None) => {
            let conf = conf.ok_or_else(|| "Error: ups.conf could not be read".to_string())?;
            let sec: &UpsSection = conf.section(id).ok_or_else(|| {
                format!("Error: Section {id} not found in ups.conf (add a [{id}] section, or use -s {id} -x port=...)")
            })?;
            if sec.driver != progname && !sec.driver.is_empty() {
                return Err(format!("Error: UPS [{id}] is for driver {}, but I'm {progname}!", sec.driver));
            }
            ctx.upsname = id.clone();
            ctx.port = sec.port.clone();
            ctx.desc = sec.desc.clone();
            statepath = conf.globals.statepath.clone();
            if let Some(p) = sec.option("pollinterval").flatten() {
                pollinterval =
                    p.parse().map_err(|_| format!("Error: UPS [{id}]: invalid pollinterval: {p}"))?;
            } else if let Some(p) = conf.globals.pollinterval {
                pollinterval = p;
            }
            ctx.synchronous = conf.synchronous(sec).as_str().into();
            ctx.user = conf.user(sec).map(str::to_string);
            ctx.group = conf.group(sec).map(str::to_string);
            ctx.allow_killpower = sec.allow_killpower;
            ctx.ignorelb = sec.ignorelb;
            ctx.nolock = sec.nolock;
            ctx.sdcommands = sec.sdcommands.clone();
            ctx.debug_min = conf.debug_min(sec).map(|n| n.min(u32::from(u8::MAX)) as u8);
            ctx.libusb_debug = conf.libusb_debug(sec);
            ctx.reconnect_max_tries = conf.reconnect_max_tries(sec);
            ctx.reconnect_report_freq = conf.reconnect_report_freq(sec);
            ctx.chroot = conf.globals.chroot.clone();
            ctx.defaults = sec.defaults.clone();
            ctx.overrides = sec.overrides.clone();
            ctx.lines = sec.lines.clone();
            for o in &sec.options {
                if let Err(e) = check_option(specs, &o.key, o.value.as_deref()) {
                    return Err(format!("{e}\n(set on line {} of ups.conf, in section [{id}])", o.line));
                }
                if o.key == "pollinterval" {
                    continue;
                }
                ctx.lines.push((o.key.clone(), o.line));
                ctx.options.push((o.key.clone(), o.value.clone()));
            }
        }
        (None, Some(id)) => ctx.upsname = id.clone(),
    }
    for x in &cli.xvars {
        let (k, v) = match x.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (x.clone(), None),
        };
        let number = |v: &str| v.trim().parse::<i64>().ok();
        match (k.as_str(), &v) {
            ("port", Some(v)) => ctx.port = v.clone(),
            ("pollinterval", Some(v)) => {
                pollinterval = v.parse().map_err(|_| format!("Error: invalid pollinterval: {v}"))?
            }
            ("synchronous", Some(v)) => ctx.synchronous = v.clone(),
            // NUT takes these flags whatever follows an `=`.
            ("allow_killpower", _) => ctx.allow_killpower = true,
            ("ignorelb", _) => ctx.ignorelb = true,
            ("nolock", _) => ctx.nolock = true,
            ("sdcommands", Some(v)) => ctx.sdcommands = Some(v.clone()),
            ("desc", Some(v)) => ctx.desc = Some(v.clone()),
            ("user", Some(v)) => ctx.user = Some(v.clone()),
            ("group", Some(v)) => ctx.group = Some(v.clone()),
            ("sdorder" | "maxstartdelay" | "maxretry" | "retrydelay", Some(_)) => {}
            (k, Some(v)) if k.eq_ignore_ascii_case("debug_min") => {
                ctx.debug_min = Some(
                    number(v)
                        .filter(|n| *n >= 0)
                        .ok_or_else(|| format!("Error: invalid debug_min: {v} (give a level of 0 or more)"))?
                        .min(255) as u8,
                )
            }
            ("LIBUSB_DEBUG", Some(v)) => {
                ctx.libusb_debug =
                    Some(number(v).filter(|n| (0..=i64::from(u32::MAX)).contains(n)).ok_or_else(|| {
                        format!("Error: invalid LIBUSB_DEBUG: {v} (give a level of 0 or more)")
                    })? as u32)
            }
            ("reconnect_max_tries" | "reconnect_report_freq", Some(v)) => {
                let n = number(v)
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| format!("Error: invalid {k}: {v} (give a whole number)"))?;
                if k == "reconnect_max_tries" {
                    ctx.reconnect_max_tries = Some(n);
                } else {
                    ctx.reconnect_report_freq = Some(n);
                }
            }
            (k, Some(v)) if k.starts_with("default.") => ctx.defaults.push((k[8..].to_string(), v.clone())),
            (k, Some(v)) if k.starts_with("override.") => ctx.overrides.push((k[9..].to_string(), v.clone())),
            _ => {
                check_option(specs, &k, v.as_deref())?;
                ctx.options.push((k, v));
            }
        }
    }
    if let Some(i) = cli.pollinterval {
        pollinterval = i;
    }
    if cli.chroot.is_some() {
        ctx.chroot = cli.chroot.clone();
    }
    if pollinterval == 0 {
        return Err(format!("Error: UPS [{}]: invalid pollinterval: 0", ctx.upsname));
    }
    // `-c` only talks to the running driver: no port needed, as in NUT.
    if ctx.port.is_empty() && !matches!(cli.action, Some(Action::Control(_))) {
        return Err(format!(
            "Error: no port for UPS [{}]: set port = ... in its ups.conf section, or give -x port=...",
            ctx.upsname
        ));
    }
    ctx.pollinterval = pollinterval;
    if cli.user.is_some() {
        ctx.user = cli.user.clone();
    }
    if cli.group.is_some() {
        ctx.group = cli.group.clone();
    }
    // NUT 2.8.5: NUT_STATEPATH wins over ups.conf's statepath (as for upsd and upsdrvctl, which
    // look for the socket there); see [`statepath_override_warning`].
    ctx.statepath = match env("NUT_STATEPATH").filter(|s| !s.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => statepath.map(PathBuf::from).unwrap_or_else(|| nut_core::paths::state_path_from(env)),
    };
    ctx.pidpath = match env("NUT_ALTPIDPATH").filter(|s| !s.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => ctx.statepath.clone(),
    };
    Ok(ctx)
}

/// NUT 2.8.5's warning when `NUT_STATEPATH` (`env`) overrides a different `statepath` of
/// ups.conf (`conf`).
pub fn statepath_override_warning(conf: Option<&str>, env: Option<&str>) -> Option<String> {
    match (conf, env.filter(|e| !e.is_empty())) {
        (Some(c), Some(e)) if c != e => {
            Some(format!("Environment variable NUT_STATEPATH='{e}' overrides setting STATEPATH='{c}'"))
        }
        _ => None,
    }
}

/// NUT's common driver flags as `-h` prints them (`PROGNAME` stands for the program).
const USAGE: &str = r#"usage: PROGNAME (-a <id>|-s <id>) [OPTIONS]
  -a <id>        - autoconfig using ups.conf section <id>
                 - note: -x after -a overrides ups.conf settings

  -s <id>        - configure directly from cmd line arguments
                 - note: must specify all driver parameters with successive -x
                 - note: at least 'port' variable should be set
                 - note: to explore the current values on a device from an
                   unprivileged user account (with sufficient media access in
                   the OS - e.g. to query networked devices), you can specify
                   '-d 1' argument and `export NUT_STATEPATH=/tmp` beforehand

  -V             - print version, then exit
  -L             - print parseable list of driver variables
  -D             - raise debugging level (and stay foreground by default)
  -d <count>     - dump data to stdout after 'count' updates loop and exit
  -F             - stay foregrounded even if no debugging is enabled
  -FF            - stay foregrounded and still save the PID file
  -B             - stay backgrounded even if debugging is bumped
  -q             - raise log level threshold
  -h             - display this help
  -k             - force shutdown
  -c <command>   - send <command> via signal to background process
                   Supported commands:
                   - reload: re-read configuration files, ignoring changed
                     values which require a driver restart (can not be changed
                     on the fly)
                   - reload-or-error: re-read configuration files, ignoring but
                     counting changed values which require a driver restart (can
                     not be changed on the fly), and return a success/fail code
                     based on that count, so the caller can decide the fate of
                     the currently running driver instance
                   - reload-or-exit: re-read configuration files (exit the old
                     driver instance if needed, so an external caller like the
                     systemd or SMF frameworks would start another copy)
                   - exit: tell the currently running driver instance to just exit
                     (so an external caller like the new driver instance, or the
                     systemd or SMF frameworks would start another copy)
                   - dump: dump the driver's data to its standard output (as
                     upsdrvctl -c dump does)
  -P <pid>       - send the signal above to specified PID (bypassing PID file)
  -i <int>       - poll interval
  -r <dir>       - chroot to <dir>
  -u <user>      - switch to <user> (if started as root)
  -g <group>     - set pipe access to <group> (if started as root)
  -x <var>=<val> - set driver variable <var> to <val>
                 - example: -x cable=940-0095B

  --check-config - check ups.conf, this driver's options and the files and
                   directories it needs, print every problem, then exit
"#;

/// The `-h` text, NUT's layout.
pub fn usage(progname: &str, banner: &str, specs: &[OptSpec]) -> String {
    let mut s = format!("{banner}\n\n");
    s.push_str(&USAGE.replace("PROGNAME", progname));
    if !specs.is_empty() {
        s.push_str("\nAcceptable values for -x or ups.conf in this driver:\n\n");
        for o in specs {
            match o.kind {
                OptKind::Value => s.push_str(&format!("{:>40} : -x {}=<value>\n", o.help, o.name)),
                OptKind::OptionalValue => s.push_str(&format!("{:>40} : -x {}[=<value>]\n", o.help, o.name)),
                OptKind::Flag => s.push_str(&format!("{:>40} : -x {}\n", o.help, o.name)),
            }
        }
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn specs() -> Vec<OptSpec> {
        vec![
            OptSpec { name: "mode", kind: OptKind::Value, help: "mode" },
            OptSpec { name: "pollonly", kind: OptKind::Flag, help: "poll only" },
        ]
    }

    #[test]
    fn cli_flags() {
        let c = parse_cli(&args("-a ups1 -DD -F -u root -x mode=dummy -x pollonly -i 5")).unwrap();
        assert_eq!(c.section.as_deref(), Some("ups1"));
        assert_eq!(c.debug, 2);
        assert_eq!(c.foreground, 1);
        assert_eq!(parse_cli(&args("-a x -FF")).unwrap().foreground, 2);
        assert_eq!(parse_cli(&args("-a x -F -F")).unwrap().foreground, 2);
        let fb = parse_cli(&args("-a x -F -B")).unwrap();
        assert!(fb.background && fb.foreground == 0);
        let bf = parse_cli(&args("-a x -B -F")).unwrap();
        assert!(!bf.background && bf.foreground == 1);
        let p = parse_cli(&args("-a x -c reload -P 42")).unwrap();
        assert_eq!((p.action, p.pid), (Some(Action::Control("reload".into())), Some(42)));
        assert!(parse_cli(&args("-a x -c reload -P abc")).unwrap_err().contains("invalid PID"));
        assert!(parse_cli(&args("-a x -c reload-or-restart"))
            .unwrap_err()
            .contains("unknown argument to option -c"));
        assert!(parse_cli(&args("-a x -c reload -c exit")).unwrap_err().contains("only one command"));
        assert_eq!(
            parse_cli(&args("-a x -c r")).unwrap().action,
            Some(Action::Control("reload-or-error".into()))
        );
        assert_eq!(c.xvars, vec!["mode=dummy", "pollonly"]);
        assert_eq!(c.pollinterval, Some(5));
        assert_eq!(parse_cli(&args("-h")).unwrap().action, Some(Action::Help));
        assert!(parse_cli(&args("-Z")).is_err());
        assert_eq!(
            parse_cli(&args("-a x -c reload")).unwrap().action,
            Some(Action::Control("reload".into()))
        );
    }

    #[test]
    fn section_and_x_merge() {
        let text = "statepath = /tmp/st\n[u]\n driver = dummy-ups\n port = a.dev\n mode = dummy\n override.ups.mfr = X\n";
        let (conf, _) = nut_conf::ups_conf::parse(text, "ups.conf").unwrap();
        let cli = parse_cli(&args("-a u -x port=b.dev -x pollonly")).unwrap();
        let ctx = build_context("dummy-ups", &cli, Some(&conf), &specs(), |_| None).unwrap();
        assert_eq!(ctx.port, "b.dev");
        assert_eq!(ctx.value("mode"), Some("dummy"));
        assert!(ctx.flag("pollonly"));
        assert_eq!(ctx.statepath, PathBuf::from("/tmp/st"));
        // NUT_STATEPATH wins over ups.conf, with NUT's warning.
        let env = |k: &str| (k == "NUT_STATEPATH").then(|| "/env/st".to_string());
        let ctx = build_context("dummy-ups", &cli, Some(&conf), &specs(), env).unwrap();
        assert_eq!((ctx.statepath.to_str(), ctx.pidpath.to_str()), (Some("/env/st"), Some("/env/st")));
        assert_eq!(
            statepath_override_warning(Some("/tmp/st"), Some("/env/st")).as_deref(),
            Some("Environment variable NUT_STATEPATH='/env/st' overrides setting STATEPATH='/tmp/st'")
        );
        assert_eq!(statepath_override_warning(Some("/tmp/st"), Some("/tmp/st")), None);
        assert_eq!(statepath_override_warning(None, Some("/env/st")), None);
        assert_eq!(ctx.pollinterval, 2);
        assert_eq!(ctx.overrides, vec![("ups.mfr".to_string(), "X".to_string())]);
    }

    #[test]
    fn errors_say_what_to_fix() {
        let (conf, _) =
            nut_conf::ups_conf::parse("[u]\n driver = usbhid-ups\n port = auto\n", "ups.conf").unwrap();
        let cli = parse_cli(&args("-a u")).unwrap();
        let e = build_context("dummy-ups", &cli, Some(&conf), &specs(), |_| None).unwrap_err();
        assert!(e.contains("is for driver usbhid-ups"), "{e}");
        let e =
            build_context("dummy-ups", &parse_cli(&args("-a v")).unwrap(), Some(&conf), &specs(), |_| None)
                .unwrap_err();
        assert!(e.contains("Section v not found"), "{e}");
        let cli = parse_cli(&args("-s x -x port=a -x bogus=1")).unwrap();
        let e = build_context("dummy-ups", &cli, None, &specs(), |_| None).unwrap_err();
        assert!(e.contains("'bogus' is not a valid variable"), "{e}");
        let cli = parse_cli(&args("-s x")).unwrap();
        assert!(build_context("dummy-ups", &cli, None, &specs(), |_| None).unwrap_err().contains("no port"));
        // Common settings that take a value are not flags (NUT: "not a valid flag").
        for x in ["port", "pollinterval", "sdcommands", "debug_min", "user"] {
            let cli = parse_cli(&args(&format!("-s x -x port=a -x {x}"))).unwrap();
            let e = build_context("dummy-ups", &cli, None, &specs(), |_| None).unwrap_err();
            assert!(
                e.contains(&format!("'{x}' is not a valid flag for this driver (it needs a value")),
                "{e}"
            );
        }
        let cli = parse_cli(&args("-s x -x port=a -x nolock -x ignorelb -x allow_killpower")).unwrap();
        let ctx = build_context("dummy-ups", &cli, None, &specs(), |_| None).unwrap();
        assert!(ctx.nolock && ctx.ignorelb && ctx.allow_killpower && ctx.options.is_empty());
        let (conf, _) =
            nut_conf::ups_conf::parse("[u]\n driver = dummy-ups\n port = a\n pollinterval\n", "ups.conf")
                .unwrap();
        let e =
            build_context("dummy-ups", &parse_cli(&args("-a u")).unwrap(), Some(&conf), &specs(), |_| None)
                .unwrap_err();
        assert!(e.contains("'pollinterval' is not a valid flag") && e.contains("line 4 of ups.conf"), "{e}");
    }
}
