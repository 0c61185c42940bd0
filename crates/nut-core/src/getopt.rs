//! Command-line flags parsed the way NUT's C programs parse them (glibc `getopt`).
//!
//! NUT users type `upsc -l localhost`, `upsd -DDD`, `usbhid-ups -a eaton -x port=auto` and
//! `upsrw -s battery.charge.low=20 -u admin -p secret ups`. Keeping glibc's rules (bundled
//! flags, `-ufoo` and `-u foo`, operands anywhere, `--` ends flags) means scripts written for
//! NUT keep working unchanged.

/// One parsed flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opt {
    /// A flag without an argument, such as `-F`.
    Flag(char),
    /// A flag with its argument, such as `-u nut`.
    Arg(char, String),
    /// A flag not in the option string (`invalid option -- 'z'`).
    Unknown(char),
    /// A flag that needs an argument but none followed.
    MissingArg(char),
}

impl Opt {
    /// The line glibc's `getopt` prints on stderr for a bad flag, `prog` standing for argv[0]
    /// as the user typed it: `upsc: invalid option -- 'z'` or `upsc: option requires an
    /// argument -- 'u'` (no trailing newline). `None` for a valid flag. NUT's programs print
    /// their own usage hint after this line.
    pub fn glibc_message(&self, prog: &str) -> Option<String> {
        match self {
            Opt::Unknown(c) => Some(format!("{prog}: invalid option -- '{c}'")),
            Opt::MissingArg(c) => Some(format!("{prog}: option requires an argument -- '{c}'")),
            Opt::Flag(_) | Opt::Arg(..) => None,
        }
    }
}

/// Result of [`parse`]: the flags in order and the operands (non-flag words) in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// Flags in the order they were given.
    pub opts: Vec<Opt>,
    /// The remaining words.
    pub operands: Vec<String>,
}

impl Parsed {
    /// How many times flag `c` was given (for `-D`, `-DDD`).
    pub fn count(&self, c: char) -> usize {
        self.opts.iter().filter(|o| matches!(o, Opt::Flag(f) if *f == c)).count()
    }

    /// The last argument of flag `c`, if given.
    pub fn value(&self, c: char) -> Option<&str> {
        self.opts.iter().rev().find_map(|o| match o {
            Opt::Arg(f, v) if *f == c => Some(v.as_str()),
            _ => None,
        })
    }

    /// Every argument of a repeatable flag `c`, in order (`-x a=1 -x b=2`).
    pub fn values(&self, c: char) -> Vec<&str> {
        self.opts
            .iter()
            .filter_map(|o| match o {
                Opt::Arg(f, v) if *f == c => Some(v.as_str()),
                _ => None,
            })
            .collect()
    }

    /// True if flag `c` was given at least once, with or without an argument.
    pub fn has(&self, c: char) -> bool {
        self.opts.iter().any(|o| matches!(o, Opt::Flag(f) | Opt::Arg(f, _) if *f == c))
    }

    /// The first unknown or incomplete flag, for the usage error.
    pub fn first_error(&self) -> Option<&Opt> {
        self.opts.iter().find(|o| matches!(o, Opt::Unknown(_) | Opt::MissingArg(_)))
    }
}

/// Parse `args` (without the program name) against a getopt option string such as `"hDFu:c:"`.
///
/// A letter followed by `:` takes an argument. Like glibc, operands may appear between flags,
/// unless the option string starts with `+` (POSIX mode, which NUT's clients use): then the
/// first operand ends the flags, so `upsc ups1 -x` treats `-x` as an operand.
pub fn parse<S: AsRef<str>>(args: &[S], optstring: &str) -> Parsed {
    let (posix, optstring) = match optstring.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, optstring),
    };
    let takes_arg = |c: char| -> Option<bool> {
        let mut it = optstring.chars().peekable();
        while let Some(o) = it.next() {
            let has = it.peek() == Some(&':');
            if has {
                it.next();
            }
            if o == c && o != ':' {
                return Some(has);
            }
        }
        None
    };
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_ref();
        i += 1;
        if a == "--" {
            out.operands.extend(args[i..].iter().map(|s| s.as_ref().to_string()));
            break;
        }
        if a.len() < 2 || !a.starts_with('-') {
            out.operands.push(a.to_string());
            if posix {
                out.operands.extend(args[i..].iter().map(|s| s.as_ref().to_string()));
                break;
            }
            continue;
        }
        let chars: Vec<char> = a[1..].chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let c = chars[j];
            j += 1;
            match takes_arg(c) {
                None => out.opts.push(Opt::Unknown(c)),
                Some(false) => out.opts.push(Opt::Flag(c)),
                Some(true) => {
                    if j < chars.len() {
                        out.opts.push(Opt::Arg(c, chars[j..].iter().collect()));
                    } else if i < args.len() {
                        out.opts.push(Opt::Arg(c, args[i].as_ref().to_string()));
                        i += 1;
                    } else {
                        out.opts.push(Opt::MissingArg(c));
                    }
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_flags_and_attached_arguments() {
        let p = parse(&["-DDD", "-unut", "-c", "reload", "ups1"], "DFu:c:");
        assert_eq!(p.count('D'), 3);
        assert_eq!(p.value('u'), Some("nut"));
        assert_eq!(p.value('c'), Some("reload"));
        assert_eq!(p.operands, vec!["ups1"]);
    }

    #[test]
    fn operands_between_flags_and_double_dash() {
        let p = parse(&["ups@host", "-l", "x", "--", "-D"], "l:D");
        assert_eq!(p.value('l'), Some("x"));
        assert_eq!(p.operands, vec!["ups@host", "-D"]);
    }

    #[test]
    fn unknown_and_missing() {
        let p = parse(&["-z", "-u"], "u:");
        assert_eq!(p.opts, vec![Opt::Unknown('z'), Opt::MissingArg('u')]);
        assert_eq!(p.first_error(), Some(&Opt::Unknown('z')));
    }

    /// The texts of glibc 2.36's getopt (Debian 12), e.g. `/usr/bin/upsc -z` prints
    /// `/usr/bin/upsc: invalid option -- 'z'`.
    #[test]
    fn glibc_messages() {
        let p = parse(&["-z", "-F", "-u"], "Fu:");
        let msgs: Vec<Option<String>> = p.opts.iter().map(|o| o.glibc_message("/usr/bin/upsc")).collect();
        assert_eq!(
            msgs,
            vec![
                Some("/usr/bin/upsc: invalid option -- 'z'".to_string()),
                None,
                Some("/usr/bin/upsc: option requires an argument -- 'u'".to_string()),
            ]
        );
        assert_eq!(Opt::Arg('u', "x".into()).glibc_message("p"), None);
    }

    #[test]
    fn repeated_values_keep_order() {
        let p = parse(&["-x", "a=1", "-xb=2"], "x:");
        assert_eq!(p.values('x'), vec!["a=1", "b=2"]);
        assert!(p.has('x'));
        assert!(!p.has('y'));
    }

    #[test]
    fn plus_stops_at_first_operand() {
        let p = parse(&["-u", "x", "ups1", "-l", "y"], "+u:l");
        assert_eq!(p.value('u'), Some("x"));
        assert!(!p.has('l'));
        assert_eq!(p.operands, vec!["ups1", "-l", "y"]);
    }

    #[test]
    fn lone_dash_is_an_operand() {
        let p = parse(&["-l", "-", "-"], "l:");
        assert_eq!(p.value('l'), Some("-"));
        assert_eq!(p.operands, vec!["-"]);
    }
}
