//! Requests a client sends to upsd: a streaming line lexer with NUT's exact parseconf
//! behaviour, and the grammar from words to a [`Request`] (or the `ERR` code NUT answers).
//!
//! The lexer works byte by byte, like NUT's `pconf_char`, because NUT's quirks depend on it and
//! clients have come to rely on them:
//!
//! - Only bytes 0x20..=0x7f (printable ASCII, and DEL, which NUT's check lets through) are
//!   kept in a word; every other byte (NUL, TAB inside quotes, UTF-8, a newline inside
//!   quotes) is silently dropped (NUT's CVE-2012-2944 fix).
//! - `"` starts a quoted word only at the start of a word; inside a bare word it is an
//!   ordinary character. A closing quote ends the word.
//! - A backslash takes the next byte literally, also a newline, so `\` + newline continues
//!   the line; an unclosed quote also runs over the newline.
//! - An unquoted `=` is a word of its own: `SET VAR u v a=b` sets `a`, and
//!   `INSTCMD u c x=1` has five words, so NUT drops the parameter.
//! - `#` outside quotes starts a comment; `#` inside quotes is a parse error ("Unbalanced word
//!   due to unescaped # in quotes"): NUT sends no reply and drops the input. We drop the rest
//!   of that line.
//! - Words keep at most [`MAX_WORD_LEN`] bytes and a line at most [`MAX_ARGS`] words; the
//!   excess is dropped silently, which also bounds the memory a hostile client can pin.
//!
//! The grammar is split in two steps because NUT checks credentials between them:
//! [`Verb::parse`] recognises the command word (else `UNKNOWN-COMMAND`), the server checks
//! [`Verb::needs_credentials`] (`USERNAME-REQUIRED`, `PASSWORD-REQUIRED`), then
//! [`Request::parse`] checks the arguments (`INVALID-ARGUMENT`).

use super::ErrCode;

/// Longest word kept (NUT's parseconf word length limit); longer words are cut.
pub const MAX_WORD_LEN: usize = 512;
/// Most words kept per line (NUT's parseconf argument limit); more are dropped.
pub const MAX_ARGS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between words.
    FindWordStart,
    /// In a comment, until the newline.
    FindEol,
    /// Inside a bare word.
    Collect,
    /// After a backslash in a bare word.
    CollectLiteral,
    /// Inside a quoted word.
    QuoteCollect,
    /// After a backslash in a quoted word.
    QuoteLiteral,
    /// After a parse error, until the newline.
    Discard,
}

/// What feeding a byte produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexEvent {
    /// Nothing complete yet.
    Pending,
    /// A line is complete: read it with [`LineLexer::words`] before feeding more.
    Line,
    /// The line is malformed (NUT logs "Parse error on sock: ..." and answers nothing).
    Error(&'static str),
}

/// Streaming splitter of request lines (see the module documentation for the rules).
#[derive(Debug, Clone)]
pub struct LineLexer {
    state: State,
    // Word buffers are reused across lines so steady-state parsing does not allocate.
    words: Vec<String>,
    nwords: usize,
    // True while a word is open (possibly empty, as for `""`).
    in_word: bool,
}

impl Default for LineLexer {
    fn default() -> Self {
        Self::new()
    }
}

impl LineLexer {
    /// A lexer at the start of a line.
    pub fn new() -> Self {
        LineLexer { state: State::FindWordStart, words: Vec::new(), nwords: 0, in_word: false }
    }

    /// The words of the line just completed (valid after [`LexEvent::Line`]).
    pub fn words(&self) -> &[String] {
        &self.words[..self.nwords]
    }

    /// True when no partial line is buffered.
    pub fn is_idle(&self) -> bool {
        self.state == State::FindWordStart && self.nwords == 0 && !self.in_word
    }

    /// Feed one byte.
    pub fn feed(&mut self, ch: u8) -> LexEvent {
        match self.state {
            State::FindWordStart => {
                if ch == b'\n' {
                    return self.end_line();
                }
                match ch {
                    b'#' => self.state = State::FindEol,
                    b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {}
                    b'\\' => {
                        self.start_word();
                        self.state = State::CollectLiteral;
                    }
                    b'"' => {
                        self.start_word();
                        self.state = State::QuoteCollect;
                    }
                    b'=' => self.equals_word(),
                    _ => {
                        self.start_word();
                        self.add(ch);
                        self.state = State::Collect;
                    }
                }
            }
            State::FindEol => {
                if ch == b'\n' {
                    return self.end_line();
                }
            }
            State::Collect => match ch {
                b'#' => {
                    self.end_word();
                    self.state = State::FindEol;
                }
                b'\n' => {
                    self.end_word();
                    return self.end_line();
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                    self.end_word();
                    self.state = State::FindWordStart;
                }
                b'\\' => self.state = State::CollectLiteral,
                b'=' => {
                    self.end_word();
                    self.equals_word();
                    self.state = State::FindWordStart;
                }
                _ => self.add(ch),
            },
            State::CollectLiteral => {
                self.add(ch);
                self.state = State::Collect;
            }
            State::QuoteCollect => match ch {
                b'\\' => self.state = State::QuoteLiteral,
                b'"' => {
                    self.end_word();
                    self.state = State::FindWordStart;
                }
                b'#' => {
                    self.reset();
                    self.state = State::Discard;
                    return LexEvent::Error("Unbalanced word due to unescaped # in quotes");
                }
                _ => self.add(ch),
            },
            State::QuoteLiteral => {
                self.add(ch);
                self.state = State::QuoteCollect;
            }
            State::Discard => {
                if ch == b'\n' {
                    self.state = State::FindWordStart;
                }
            }
        }
        LexEvent::Pending
    }

    /// Feed bytes from `data` until a line completes or is malformed: returns how many bytes
    /// were used and the event ([`LexEvent::Pending`] when all of `data` was used without
    /// completing a line). The result is the same as feeding the bytes one by one with
    /// [`LineLexer::feed`]; runs of ordinary word bytes are copied at once, which is what
    /// makes it faster on the request path.
    pub fn feed_slice(&mut self, data: &[u8]) -> (usize, LexEvent) {
        let mut i = 0;
        while i < data.len() {
            if self.state == State::Collect {
                let run = data[i..].iter().position(|&b| !is_plain(b)).unwrap_or(data.len() - i);
                if run > 0 {
                    self.add_run(&data[i..i + run]);
                    i += run;
                    continue;
                }
            }
            let ev = self.feed(data[i]);
            i += 1;
            if !matches!(ev, LexEvent::Pending) {
                return (i, ev);
            }
        }
        (i, LexEvent::Pending)
    }

    /// [`LineLexer::add`] for a run of [`is_plain`] bytes.
    fn add_run(&mut self, run: &[u8]) {
        if self.nwords >= MAX_ARGS {
            return;
        }
        let w = &mut self.words[self.nwords];
        let take = run.len().min(MAX_WORD_LEN.saturating_sub(w.len()));
        // Plain bytes are ASCII, so this is always valid UTF-8.
        if let Ok(text) = std::str::from_utf8(&run[..take]) {
            w.push_str(text);
        }
    }

    /// An unquoted `=` is a word of its own (parseconf splits `key=value` this way).
    fn equals_word(&mut self) {
        self.start_word();
        self.add(b'=');
        self.end_word();
    }

    fn start_word(&mut self) {
        self.in_word = true;
        if self.nwords < MAX_ARGS {
            if self.words.len() <= self.nwords {
                self.words.push(String::new());
            }
            self.words[self.nwords].clear();
        }
    }

    fn add(&mut self, ch: u8) {
        // NUT keeps only 0x20..=0x7f in words: printable ASCII, and DEL too (Debian's NUT
        // 2.8.0 answers `GET VAR ups1 ups.mfr<DEL>` with VAR-NOT-SUPPORTED).
        if !(0x20..=0x7f).contains(&ch) || self.nwords >= MAX_ARGS {
            return;
        }
        let w = &mut self.words[self.nwords];
        if w.len() < MAX_WORD_LEN {
            w.push(ch as char);
        }
    }

    fn end_word(&mut self) {
        if self.in_word {
            self.in_word = false;
            if self.nwords < MAX_ARGS {
                self.nwords += 1;
            }
        }
    }

    fn end_line(&mut self) -> LexEvent {
        self.state = State::FindWordStart;
        LexEvent::Line
    }

    fn reset(&mut self) {
        self.nwords = 0;
        self.in_word = false;
    }

    /// Forget any partial line and start at the beginning of a new one (what NUT does with
    /// the next bytes it reads after a parse error).
    pub fn restart(&mut self) {
        self.reset();
        self.state = State::FindWordStart;
    }

    /// Prepare for the next line; call after handling [`LexEvent::Line`].
    pub fn clear_line(&mut self) {
        self.reset();
    }
}

/// A byte that [`LineLexer::feed`] adds to the current word as it is while collecting an
/// unquoted word: kept by `add` (0x20..=0x7f) and not whitespace, `#`, `\\` or `=`.
fn is_plain(b: u8) -> bool {
    (0x21..=0x7f).contains(&b) && !matches!(b, b'#' | b'\\' | b'=')
}

/// The command word of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `FSD`
    Fsd,
    /// `GET`
    Get,
    /// `HELP`
    Help,
    /// `INSTCMD`
    Instcmd,
    /// `LIST`
    List,
    /// `LOGIN`
    Login,
    /// `LOGOUT`
    Logout,
    /// `MASTER` (the pre-2.8 name of PRIMARY)
    Master,
    /// `NETVER`
    Netver,
    /// `PASSWORD`
    Password,
    /// `PRIMARY`
    Primary,
    /// `PROTVER` (alias of NETVER)
    Protver,
    /// `SET`
    Set,
    /// `STARTTLS`
    Starttls,
    /// `USERNAME`
    Username,
    /// `VER`
    Ver,
    /// `WATCH` (our opt-in event subscription, docs/event-subscription.md; NUT answers
    /// `ERR UNKNOWN-COMMAND`)
    Watch,
}

impl Verb {
    /// Recognise a command word, in any case.
    pub fn parse(word: &str) -> Option<Verb> {
        const VERBS: &[(&str, Verb)] = &[
            ("VER", Verb::Ver),
            ("NETVER", Verb::Netver),
            ("PROTVER", Verb::Protver),
            ("HELP", Verb::Help),
            ("STARTTLS", Verb::Starttls),
            ("GET", Verb::Get),
            ("LIST", Verb::List),
            ("USERNAME", Verb::Username),
            ("PASSWORD", Verb::Password),
            ("LOGIN", Verb::Login),
            ("LOGOUT", Verb::Logout),
            ("PRIMARY", Verb::Primary),
            ("MASTER", Verb::Master),
            ("FSD", Verb::Fsd),
            ("SET", Verb::Set),
            ("INSTCMD", Verb::Instcmd),
            ("WATCH", Verb::Watch),
        ];
        VERBS.iter().find(|(n, _)| n.eq_ignore_ascii_case(word)).map(|(_, v)| *v)
    }

    /// True for commands NUT refuses before USERNAME and PASSWORD were both sent
    /// (checked before the arguments).
    pub fn needs_credentials(self) -> bool {
        matches!(self, Verb::Login | Verb::Primary | Verb::Master | Verb::Fsd | Verb::Set | Verb::Instcmd)
    }
}

/// A parsed request; strings borrow from the lexer's words.
///
/// UPS, variable and command names are kept as the client spelled them: NUT looks them up
/// case-insensitively but echoes the client's spelling in replies and passes it to drivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// `FSD <ups>`
    Fsd(&'a str),
    /// `GET CMDDESC <ups> <cmd>`
    GetCmdDesc(&'a str, &'a str),
    /// `GET DESC <ups> <var>`
    GetDesc(&'a str, &'a str),
    /// `GET NUMLOGINS <ups>`
    GetNumLogins(&'a str),
    /// `GET TRACKING [<id>]`
    GetTracking(Option<&'a str>),
    /// `GET TYPE <ups> <var>`
    GetType(&'a str, &'a str),
    /// `GET UPSDESC <ups>`
    GetUpsDesc(&'a str),
    /// `GET VAR <ups> <var>`
    GetVar(&'a str, &'a str),
    /// `HELP`
    Help,
    /// `INSTCMD <ups> <cmd> [<param>]` (NUT passes the parameter only with exactly 3 args).
    Instcmd(&'a str, &'a str, Option<&'a str>),
    /// `LIST CLIENT <ups>`
    ListClient(&'a str),
    /// `LIST CMD <ups>`
    ListCmd(&'a str),
    /// `LIST ENUM <ups> <var>`
    ListEnum(&'a str, &'a str),
    /// `LIST RANGE <ups> <var>`
    ListRange(&'a str, &'a str),
    /// `LIST RW <ups>`
    ListRw(&'a str),
    /// `LIST UPS`
    ListUps,
    /// `LIST VAR <ups>`
    ListVar(&'a str),
    /// `LOGIN <ups>`
    Login(&'a str),
    /// `LOGOUT`
    Logout,
    /// `NETVER` or `PROTVER`
    Netver,
    /// `PASSWORD <password>`
    Password(&'a str),
    /// `PRIMARY <ups>`, or `MASTER <ups>` when `master` is true (the reply names the verb).
    Primary(&'a str, bool),
    /// `SET TRACKING ON|OFF`
    SetTracking(bool),
    /// `SET VAR <ups> <var> <value>` (extra words are ignored, as in NUT).
    SetVar(&'a str, &'a str, &'a str),
    /// `STARTTLS` (arguments ignored, as in NUT).
    Starttls,
    /// `USERNAME <name>`
    Username(&'a str),
    /// `VER`
    Ver,
    /// `WATCH <ups>` (our extension: push status changes of `<ups>` on this connection).
    Watch(&'a str),
}

/// The entry of `names` that `word` spells in any case, else "" (no allocation: this is on
/// the path of every `GET VAR`).
fn one_of(word: &str, names: &[&'static str]) -> &'static str {
    names.iter().find(|n| n.eq_ignore_ascii_case(word)).copied().unwrap_or("")
}

impl<'a> Request<'a> {
    /// Parse the arguments of `verb` (the words after the command word), returning the `ERR`
    /// code NUT answers for a malformed request (always `INVALID-ARGUMENT`).
    pub fn parse(verb: Verb, args: &'a [String]) -> Result<Request<'a>, ErrCode> {
        let bad = Err(ErrCode::InvalidArgument);
        let a = |i: usize| args[i].as_str();
        let n = args.len();
        let exactly = |k: usize| if n == k { Ok(()) } else { Err(ErrCode::InvalidArgument) };
        Ok(match verb {
            Verb::Ver => {
                exactly(0)?;
                Request::Ver
            }
            Verb::Netver | Verb::Protver => {
                exactly(0)?;
                Request::Netver
            }
            Verb::Help => {
                exactly(0)?;
                Request::Help
            }
            Verb::Starttls => Request::Starttls,
            Verb::Username => {
                exactly(1)?;
                Request::Username(a(0))
            }
            Verb::Password => {
                exactly(1)?;
                Request::Password(a(0))
            }
            Verb::Login => {
                exactly(1)?;
                Request::Login(a(0))
            }
            Verb::Logout => {
                exactly(0)?;
                Request::Logout
            }
            Verb::Primary | Verb::Master => {
                exactly(1)?;
                Request::Primary(a(0), verb == Verb::Master)
            }
            Verb::Fsd => {
                exactly(1)?;
                Request::Fsd(a(0))
            }
            Verb::Get => {
                if n < 1 {
                    return bad;
                }
                let sub = a(0);
                if sub.eq_ignore_ascii_case("TRACKING") {
                    return Ok(Request::GetTracking(if n == 1 { None } else { Some(a(1)) }));
                }
                if n < 2 {
                    return bad;
                }
                if sub.eq_ignore_ascii_case("NUMLOGINS") {
                    return Ok(Request::GetNumLogins(a(1)));
                }
                if sub.eq_ignore_ascii_case("UPSDESC") {
                    return Ok(Request::GetUpsDesc(a(1)));
                }
                if n < 3 {
                    return bad;
                }
                let (ups, name) = (a(1), a(2));
                match one_of(sub, &["VAR", "TYPE", "DESC", "CMDDESC"]) {
                    "VAR" => Request::GetVar(ups, name),
                    "TYPE" => Request::GetType(ups, name),
                    "DESC" => Request::GetDesc(ups, name),
                    "CMDDESC" => Request::GetCmdDesc(ups, name),
                    _ => return bad,
                }
            }
            Verb::List => {
                if n < 1 {
                    return bad;
                }
                let sub = one_of(a(0), &["UPS", "VAR", "RW", "CMD", "CLIENT", "ENUM", "RANGE"]);
                if sub == "UPS" {
                    return Ok(Request::ListUps);
                }
                if n < 2 {
                    return bad;
                }
                match sub {
                    "VAR" => return Ok(Request::ListVar(a(1))),
                    "RW" => return Ok(Request::ListRw(a(1))),
                    "CMD" => return Ok(Request::ListCmd(a(1))),
                    "CLIENT" => return Ok(Request::ListClient(a(1))),
                    _ => {}
                }
                if n < 3 {
                    return bad;
                }
                match sub {
                    "ENUM" => Request::ListEnum(a(1), a(2)),
                    "RANGE" => Request::ListRange(a(1), a(2)),
                    _ => return bad,
                }
            }
            Verb::Set => {
                if n < 1 {
                    return bad;
                }
                let sub = a(0);
                if sub.eq_ignore_ascii_case("TRACKING") {
                    if n < 2 {
                        return bad;
                    }
                    let v = a(1);
                    if v.eq_ignore_ascii_case("ON") {
                        return Ok(Request::SetTracking(true));
                    }
                    if v.eq_ignore_ascii_case("OFF") {
                        return Ok(Request::SetTracking(false));
                    }
                    return bad;
                }
                if sub.eq_ignore_ascii_case("VAR") && n >= 4 {
                    return Ok(Request::SetVar(a(1), a(2), a(3)));
                }
                return bad;
            }
            Verb::Instcmd => {
                if n < 2 {
                    return bad;
                }
                Request::Instcmd(a(0), a(1), if n == 3 { Some(a(2)) } else { None })
            }
            Verb::Watch => {
                exactly(1)?;
                Request::Watch(a(0))
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Feed `input` and collect every event with the words of each line.
    fn lex(input: &[u8]) -> Vec<Result<Vec<String>, &'static str>> {
        let mut l = LineLexer::new();
        let mut out = Vec::new();
        for &b in input {
            match l.feed(b) {
                LexEvent::Pending => {}
                LexEvent::Line => {
                    out.push(Ok(l.words().to_vec()));
                    l.clear_line();
                }
                LexEvent::Error(e) => out.push(Err(e)),
            }
        }
        out
    }

    /// [`lex`] through `feed_slice`, in chunks of `chunk` bytes.
    fn lex_slices(input: &[u8], chunk: usize) -> Vec<Result<Vec<String>, &'static str>> {
        let mut l = LineLexer::new();
        let mut out = Vec::new();
        for part in input.chunks(chunk) {
            let mut used = 0;
            while used < part.len() {
                let (n, ev) = l.feed_slice(&part[used..]);
                used += n;
                match ev {
                    LexEvent::Pending => {}
                    LexEvent::Line => {
                        out.push(Ok(l.words().to_vec()));
                        l.clear_line();
                    }
                    LexEvent::Error(e) => out.push(Err(e)),
                }
            }
        }
        out
    }

    #[test]
    fn feed_slice_agrees_with_feed() {
        let long = format!("GET VAR {} x\n", "w".repeat(MAX_WORD_LEN + 9));
        let many = format!("{}\n", "a ".repeat(MAX_ARGS + 3));
        let inputs: Vec<&[u8]> = vec![
            b"GET VAR ups1 ups.status\nGET VAR ups2 ups.load\n",
            b"  VER  \r\r\nVER # comment\n\n\"\"\nab\"c d\"e\n\"abc\"def\nab#c\n",
            b"a\\ b\nups.st\x00atus\xff\x7f\nk=v x==y\n\"a#b\"\nnext\n\"open",
            b"SET VAR ups1 \"a \\\"b\" c\\\nd\n",
            long.as_bytes(),
            many.as_bytes(),
        ];
        for input in inputs {
            for chunk in [1, 2, 3, 7, 64, 4096] {
                assert_eq!(lex_slices(input, chunk), lex(input), "{input:?} in chunks of {chunk}");
            }
        }
    }

    fn line(input: &[u8]) -> Vec<String> {
        let mut v = lex(input);
        assert_eq!(v.len(), 1, "{input:?} gave {v:?}");
        v.remove(0).unwrap()
    }

    #[test]
    fn quirks_observed_on_nut_2_8_0() {
        assert_eq!(line(b"  VER  \r\r\n"), vec!["VER"]);
        assert_eq!(line(b"VER # comment\n"), vec!["VER"]);
        assert_eq!(line(b"\n"), Vec::<String>::new());
        assert_eq!(line(b"\"\"\n"), vec![""]);
        assert_eq!(line(b"ab\"c d\"e\n"), vec!["ab\"c", "d\"e"]);
        assert_eq!(line(b"\"abc\"def\n"), vec!["abc", "def"]);
        assert_eq!(line(b"ab#c\n"), vec!["ab"]);
        assert_eq!(line(b"\"a\tb\"\n"), vec!["ab"]);
        assert_eq!(line(b"\"a\\\"b\\\\c\"\n"), vec!["a\"b\\c"]);
        assert_eq!(line(b"a\\ b\n"), vec!["a b"]);
        assert_eq!(line(b"ups.st\x00atus\xff\n"), vec!["ups.status"]);
        assert_eq!(line(b"ups.mfr\x7f\n"), vec!["ups.mfr\x7f"]);
        assert_eq!(line(b"\xc3\xa9\n"), vec![""]);
        assert_eq!(line(b"a\x0bb\n"), vec!["a", "b"]);
        assert_eq!(line(b"a=b =c == \"x=y\" d\\=e\n"), vec!["a", "=", "b", "=", "c", "=", "=", "x=y", "d=e"]);
        // A quote or a backslash carries the word over the newline, whose byte is dropped.
        assert_eq!(line(b"\"ups.status\nVER\"\n"), vec!["ups.statusVER"]);
        assert_eq!(line(b"x\\\ny\n"), vec!["xy"]);
        assert_eq!(line(b"\\\n\n"), vec![""]);
    }

    #[test]
    fn hash_in_quotes_is_an_error_and_drops_the_line() {
        let v = lex(b"GET DESC ups1 \"a#b\"\nVER\n");
        assert!(v[0].is_err());
        assert_eq!(v[1], Ok(vec!["VER".to_string()]));
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn limits_bound_memory() {
        let mut input = b"GET DESC ups1 ".to_vec();
        input.resize(input.len() + 100_000, b'x');
        input.push(b'\n');
        let w = line(&input);
        assert_eq!(w[3].len(), MAX_WORD_LEN);
        let many = "a ".repeat(100) + "\n";
        assert_eq!(line(many.as_bytes()).len(), MAX_ARGS);
    }

    fn req(s: &str) -> Result<Request<'static>, ErrCode> {
        let words: &'static [String] = Box::leak(line(format!("{s}\n").as_bytes()).into_boxed_slice());
        let verb = Verb::parse(&words[0]).ok_or(ErrCode::UnknownCommand)?;
        Request::parse(verb, &words[1..])
    }

    #[test]
    fn grammar_matches_nut() {
        use Request::*;
        let inv = Err(ErrCode::InvalidArgument);
        assert_eq!(req("ver"), Ok(Ver));
        assert_eq!(req("VER x"), inv);
        assert_eq!(req("protver"), Ok(Netver));
        assert_eq!(req("FOO"), Err(ErrCode::UnknownCommand));
        assert_eq!(req("GET"), inv);
        assert_eq!(req("GET FOO"), inv);
        assert_eq!(req("GET TRACKING"), Ok(GetTracking(None)));
        assert_eq!(req("get tracking x y"), Ok(GetTracking(Some("x"))));
        assert_eq!(req("GET NUMLOGINS u extra"), Ok(GetNumLogins("u")));
        assert_eq!(req("GET VAR u"), inv);
        assert_eq!(req("GET VAR u v extra"), Ok(GetVar("u", "v")));
        assert_eq!(req("GET FOO u v"), inv);
        assert_eq!(req("LIST UPS extra"), Ok(ListUps));
        assert_eq!(req("list rw U"), Ok(ListRw("U")));
        assert_eq!(req("LIST ENUM u"), inv);
        assert_eq!(req("LIST RANGE u v"), Ok(ListRange("u", "v")));
        assert_eq!(req("SET TRACKING on extra"), Ok(SetTracking(true)));
        assert_eq!(req("SET TRACKING YES"), inv);
        assert_eq!(req("SET VAR u v"), inv);
        assert_eq!(req("SET VAR u v a b"), Ok(SetVar("u", "v", "a")));
        assert_eq!(req("INSTCMD u c"), Ok(Instcmd("u", "c", None)));
        assert_eq!(req("INSTCMD u c 10"), Ok(Instcmd("u", "c", Some("10"))));
        assert_eq!(req("INSTCMD u c 10 x"), Ok(Instcmd("u", "c", None)));
        assert_eq!(req("MASTER u"), Ok(Primary("u", true)));
        assert_eq!(req("LOGOUT x"), inv);
        assert_eq!(req("STARTTLS x"), Ok(Starttls));
        assert_eq!(req("watch u"), Ok(Watch("u")));
        assert_eq!(req("WATCH"), inv);
        assert_eq!(req("WATCH u v"), inv);
        assert!(!Verb::Watch.needs_credentials());
        assert!(Verb::Set.needs_credentials());
        assert!(!Verb::Get.needs_credentials());
    }
}
