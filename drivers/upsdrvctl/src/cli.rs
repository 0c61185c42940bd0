//! The command line, parsed as NUT 2.8.5's upsdrvctl parses it (pure: arguments in, an
//! [`Cli`] out).
//!
//! Flags are read in order and the first problem wins, as with NUT's getopt loop: an unknown
//! flag prints glibc's line and the help text (exit 0, as NUT does), `-c` with an unknown or a
//! second command is fatal. The command word (`start`, `stop`, `shutdown`, `status`, `list`)
//! comes after the flags, then at most one UPS name.

use crate::control::ControlCmd;

/// NUT 2.8.5's option string.
pub const OPTSTRING: &str = "+htu:r:DdFBVc:l";

/// What the drivers are told about staying in the foreground (`-F`, `-FF`, `-B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Foreground {
    /// Neither: the driver decides from its debug level (NUT's -1).
    #[default]
    Default,
    /// `-B`: background even when debugging (NUT's 0).
    Background,
    /// `-F`: foreground, no PID file (NUT's 1).
    Foreground,
    /// `-FF`: foreground and still write the PID file (NUT's 2).
    ForegroundWithPid,
}

impl Foreground {
    /// `-F` or `-FF`: drivers stay attached and upsdrvctl stays as their parent.
    pub fn is_foreground(self) -> bool {
        matches!(self, Foreground::Foreground | Foreground::ForegroundWithPid)
    }

    /// The flag passed on to each driver, if any.
    pub fn driver_flag(self) -> Option<&'static str> {
        match self {
            Foreground::Default => None,
            Foreground::Background => Some("-B"),
            Foreground::Foreground => Some("-F"),
            Foreground::ForegroundWithPid => Some("-FF"),
        }
    }
}

/// Options of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// `-t`
    pub testing: bool,
    /// `-u`
    pub user: Option<String>,
    /// `-r`
    pub chroot: Option<String>,
    /// `-D` count.
    pub debug: u8,
    /// `-d`: pass the debug level to the drivers.
    pub pass_debug: bool,
    /// `-F`, `-FF`, `-B`.
    pub fg: Foreground,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// `start`
    Start,
    /// `stop`
    Stop,
    /// `shutdown`
    Shutdown,
    /// `status`
    Status,
    /// `list` or `-l`
    List,
    /// `-c <command>`
    Control(ControlCmd),
    /// A command word NUT does not know (reported after the testing-mode line, as NUT does).
    Unrecognized(String),
}

/// Which UPSes: all of ups.conf, one, or too many names (an error NUT reports after reading
/// ups.conf).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// No name: every section.
    All,
    /// One name.
    One(String),
    /// More than one word after the command.
    TooMany,
}

/// A run to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Flags.
    pub opts: Opts,
    /// The command.
    pub verb: Verb,
    /// The UPS name(s).
    pub target: Target,
}

/// The outcome of parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cli {
    /// Carry out a command.
    Run(Invocation),
    /// `-h`, no command, or a bad flag (`error` is glibc's line for stderr): print the help
    /// text and exit 0, as NUT does.
    Help {
        /// glibc's `invalid option` / `option requires an argument` line.
        error: Option<String>,
    },
    /// `-V`: the banner only.
    Version,
    /// A fatal usage error: the message, exit 1.
    Fatal(String),
}

/// Parse the arguments after the program name; `prog` is argv[0] as typed (for glibc's lines).
pub fn parse(prog: &str, args: &[String]) -> Cli {
    use nut_core::getopt::Opt;
    let p = nut_core::getopt::parse(args, OPTSTRING);
    let mut opts = Opts::default();
    let mut verb: Option<Verb> = None;
    for o in &p.opts {
        match o {
            Opt::Arg('r', v) => opts.chroot = Some(v.clone()),
            Opt::Flag('t') => opts.testing = true,
            Opt::Arg('u', v) => opts.user = Some(v.clone()),
            Opt::Flag('V') => return Cli::Version,
            Opt::Flag('D') => opts.debug = opts.debug.saturating_add(1),
            Opt::Flag('d') => opts.pass_debug = true,
            Opt::Flag('F') => {
                opts.fg = if opts.fg.is_foreground() {
                    Foreground::ForegroundWithPid
                } else {
                    Foreground::Foreground
                }
            }
            Opt::Flag('B') => opts.fg = Foreground::Background,
            Opt::Arg('c', v) => {
                if verb.is_some() {
                    return Cli::Fatal(
                        "Error: only one command per run can be sent with option -c. Try -h for help.".into(),
                    );
                }
                match ControlCmd::parse(v) {
                    Some(c) => verb = Some(Verb::Control(c)),
                    None => {
                        return Cli::Fatal("Error: unknown argument to option -c. Try -h for help.".into())
                    }
                }
            }
            Opt::Flag('l') => verb = Some(Verb::List),
            Opt::Flag('h') => return Cli::Help { error: None },
            other => return Cli::Help { error: other.glibc_message(prog) },
        }
    }
    let mut words = p.operands.as_slice();
    let verb = match verb {
        Some(v) => v,
        None => {
            let Some((first, rest)) = words.split_first() else { return Cli::Help { error: None } };
            words = rest;
            match first.as_str() {
                "start" => Verb::Start,
                "stop" => Verb::Stop,
                "shutdown" => Verb::Shutdown,
                "list" => Verb::List,
                "status" => Verb::Status,
                _ => Verb::Unrecognized(first.clone()),
            }
        }
    };
    let target = match words {
        [] => Target::All,
        [one] => Target::One(one.clone()),
        _ => Target::TooMany,
    };
    Cli::Run(Invocation { opts, verb, target })
}

/// NUT 2.8.5's help text (after the banner); `prog` is argv[0] as typed.
pub fn help_text(prog: &str) -> String {
    let base = prog.rsplit('/').next().unwrap_or(prog).to_lowercase();
    let ver = nut_core::NUT_VERSION;
    let pad = "              \t\t";
    let mut lines: Vec<String> = vec![
        "UPS driver controller: Starts and stops UPS drivers via ups.conf.".into(),
        String::new(),
        format!("usage: {prog} [OPTIONS] (start | stop | shutdown | status) [<ups>]"),
        String::new(),
        format!("usage: {prog} [OPTIONS] (list | -l) [<ups>]"),
        String::new(),
        format!("usage: {prog} [OPTIONS] -c <command> [<ups>]"),
        String::new(),
        "Common options:".into(),
        "  -h\t\t\tdisplay this help".into(),
        "  -r <path>\t\tdrivers will chroot to <path>".into(),
        "  -t\t\t\ttesting mode - prints actions without doing them".into(),
        "  -u <user>\t\tdrivers started will switch from root to <user>".into(),
        "  -D\t\t\traise debugging level".into(),
        "  -d\t\t\tpass debugging level from upsdrvctl to driver".into(),
        "  -F\t\t\tdriver stays foregrounded even if no debugging is enabled".into(),
        "  -FF\t\t\tdriver stays foregrounded and still saves the PID file".into(),
        "  -B\t\t\tdriver(s) stay backgrounded even if debugging is bumped".into(),
        String::new(),
        "Listing known driver(s):".into(),
        "  -l | list\t\tlist all device driver confgurations that can be managed".into(),
        "  -l | list <ups>\tonly try to list the specified device driver confgurations".into(),
        format!("{pad}(error out if the device name is unresolved)"),
        String::new(),
        "Signalling a running driver:".into(),
        "  -c <command>\t\tsend <command> via signal to running driver(s)".into(),
    ];
    for l in [
        "supported commands:",
        "- data-dump: if the driver still has STDOUT attached (maybe",
        "  to log), dump its currently collected information there",
        "- reload: re-read configuration files, ignoring changed",
        "  values which require a driver restart (can not be changed",
        "  on the fly)",
        "- reload-or-error: re-read configuration files, ignoring but",
        "  counting changed values which require a driver restart (can",
        "  not be changed on the fly), and return a success/fail code",
        "  based on that count, so the caller can decide the fate of",
        "  the currently running driver instance",
        "- reload-or-exit: re-read configuration files (exit the old",
        "  driver instance if needed, so an external caller like the",
        "  systemd or SMF frameworks would start another copy)",
        "- exit: tell the currently running driver instance to just exit",
        "  (so an external caller like the new driver instance, or the",
        "  systemd or SMF frameworks would start another copy)",
    ] {
        lines.push(format!("{pad}{l}"));
    }
    lines.extend([
        String::new(),
        "Driver life cycle options:".into(),
        "  start\t\t\tstart all UPS drivers in ups.conf".into(),
        "  start <ups>\t\tonly start driver for UPS <ups>".into(),
        "  stop\t\t\tstop all UPS drivers in ups.conf".into(),
        "  stop <ups>\t\tonly stop driver for UPS <ups>".into(),
        "  shutdown\t\tshutdown all UPS drivers in ups.conf".into(),
        "  shutdown <ups>\tonly shutdown UPS <ups>".into(),
        "  status\t\tquery status for all UPS drivers in ups.conf".into(),
        "  status <ups>\t\tonly query status for driver for UPS <ups>".into(),
        format!("{pad}Fields: UPSNAME UPSDRV RUNNING PF_PID S_RESPONSIVE S_PID S_STATUS"),
        format!("{pad}(PF_* = according to PID file, if any; S_* = via socket protocol)"),
        String::new(),
        format!("For more information please Read The Fine Manual ('man 8 {base}') and/or see"),
        format!("\thttps://www.networkupstools.org/historic/v{ver}/docs/man/{base}.html"),
        "Also check documentation and samples of ups.conf".into(),
    ]);
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Cli {
        let v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse("upsdrvctl", &v)
    }

    fn inv(args: &[&str]) -> Invocation {
        match run(args) {
            Cli::Run(i) => i,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn foreground_flags_as_nut_counts_them() {
        assert_eq!(inv(&["-F", "start"]).opts.fg, Foreground::Foreground);
        assert_eq!(inv(&["-FF", "start"]).opts.fg, Foreground::ForegroundWithPid);
        assert_eq!(inv(&["-F", "-F", "-F", "start"]).opts.fg, Foreground::ForegroundWithPid);
        assert_eq!(inv(&["-F", "-B", "start"]).opts.fg, Foreground::Background);
        assert_eq!(inv(&["-B", "-F", "start"]).opts.fg, Foreground::Foreground);
        assert_eq!(inv(&["start"]).opts.fg, Foreground::Default);
    }

    #[test]
    fn commands_names_and_targets() {
        let i = inv(&["-D", "-D", "-d", "-u", "nut", "-r", "/c", "status", "ups1"]);
        assert_eq!(i.verb, Verb::Status);
        assert_eq!(i.target, Target::One("ups1".into()));
        assert_eq!((i.opts.debug, i.opts.pass_debug), (2, true));
        assert_eq!((i.opts.user.as_deref(), i.opts.chroot.as_deref()), (Some("nut"), Some("/c")));
        assert_eq!(inv(&["-l"]).verb, Verb::List);
        assert_eq!(inv(&["-l", "a"]).target, Target::One("a".into()));
        assert_eq!(inv(&["list"]).verb, Verb::List);
        assert_eq!(inv(&["start", "a", "b"]).target, Target::TooMany);
        assert_eq!(inv(&["bogus"]).verb, Verb::Unrecognized("bogus".into()));
        // With -c the first word is the UPS name.
        let i = inv(&["-c", "exit", "ups2"]);
        assert_eq!((i.verb, i.target), (Verb::Control(ControlCmd::Exit), Target::One("ups2".into())));
    }

    #[test]
    fn usage_errors_as_nut() {
        assert_eq!(run(&[]), Cli::Help { error: None });
        assert_eq!(run(&["-h", "start"]), Cli::Help { error: None });
        assert_eq!(
            run(&["-x", "start"]),
            Cli::Help { error: Some("upsdrvctl: invalid option -- 'x'".into()) }
        );
        assert_eq!(
            run(&["start", "-u"]),
            // POSIX mode: flags end at the first word, so -u is a UPS name here.
            Cli::Run(Invocation {
                opts: Opts::default(),
                verb: Verb::Start,
                target: Target::One("-u".into())
            })
        );
        assert_eq!(
            run(&["-u"]),
            Cli::Help { error: Some("upsdrvctl: option requires an argument -- 'u'".into()) }
        );
        assert_eq!(run(&["-V", "-x"]), Cli::Version);
        assert!(
            matches!(run(&["-c", "bogus"]), Cli::Fatal(m) if m.contains("unknown argument to option -c"))
        );
        assert!(
            matches!(run(&["-c", "exit", "-c", "exit"]), Cli::Fatal(m) if m.contains("only one command"))
        );
        assert!(matches!(run(&["-l", "-c", "exit"]), Cli::Fatal(m) if m.contains("only one command")));
        // -l after -c replaces the command, as in NUT.
        assert_eq!(inv(&["-c", "exit", "-l"]).verb, Verb::List);
    }

    #[test]
    fn help_names_every_command_and_flag() {
        let h = help_text("/usr/sbin/upsdrvctl");
        for w in [
            "(start | stop | shutdown | status)",
            "(list | -l)",
            "-c <command>",
            "-FF",
            "-B\t",
            "reload-or-exit",
        ] {
            assert!(h.contains(w), "{w}");
        }
        assert!(h.contains("'man 8 upsdrvctl'"));
        assert!(h.contains("\n  -h\t\t\tdisplay this help\n"));
        assert!(h.contains("\n              \t\t- exit: tell"));
    }
}
