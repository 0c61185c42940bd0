//! TEST ONLY: a line source read from a file instead of a serial port's modem-control lines.
//!
//! A Linux pty has no modem-control lines, so a contact-closure UPS cannot be simulated on
//! one. When the environment variable [`ENV`] is `1`, the driver takes `port` as the path
//! of a text file naming the input lines that are high (`CTS DCD`, any of `CTS DCD RNG DSR`,
//! blank for none), read again at every poll; what the driver does to the outputs is
//! appended to `<port>.out` (`SET DTR+RTS`, `SET none`, `BREAK 4901`). A missing or
//! malformed file fails as a failed TIOCMGET would. The driver says loudly in its log that it
//! runs on this fake. Nothing else uses it; it exists for the end-to-end tests.

use std::io::Write;
use std::path::PathBuf;

use nut_transport::serial::{ModemControl, ModemLines, OutputLine, SerialError};

use crate::lines::{from_modem, to_modem};
use crate::table::names;

/// The variable that switches the fake on (value `1`).
pub const ENV: &str = "NUT_GENERICUPS_FAKE_LINES";

/// Whether the environment asks for the fake.
pub fn enabled() -> bool {
    std::env::var(ENV).is_ok_and(|v| v == "1")
}

/// The file-backed line source.
#[derive(Debug)]
pub struct FileLines {
    path: PathBuf,
    outputs: ModemLines,
}

/// Parse the file's text into the lines it names. Pure.
pub fn parse(text: &str) -> Result<ModemLines, String> {
    let mut m = ModemLines::default();
    for w in text.split_whitespace() {
        match w {
            "CTS" => m.cts = true,
            "DCD" => m.dcd = true,
            "RNG" => m.ri = true,
            "DSR" => m.dsr = true,
            other => return Err(format!("'{other}' is not an input line (CTS, DCD, RNG, DSR)")),
        }
    }
    Ok(m)
}

impl FileLines {
    /// The fake on `path`.
    pub fn new(path: &str) -> FileLines {
        FileLines { path: PathBuf::from(path), outputs: ModemLines::default() }
    }

    fn record(&self, what: &str) -> Result<(), SerialError> {
        let mut out = self.path.clone().into_os_string();
        out.push(".out");
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(out)?;
        writeln!(f, "{what}")?;
        Ok(())
    }
}

impl ModemControl for FileLines {
    fn get_lines(&mut self) -> Result<ModemLines, SerialError> {
        let text = std::fs::read_to_string(&self.path)?;
        let mut m = parse(&text).map_err(|e| {
            SerialError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", self.path.display()),
            ))
        })?;
        m.dtr = self.outputs.dtr;
        m.rts = self.outputs.rts;
        Ok(m)
    }

    fn set_lines(&mut self, lines: ModemLines) -> Result<(), SerialError> {
        self.outputs = to_modem(from_modem(lines));
        self.record(&format!("SET {}", names(from_modem(self.outputs))))
    }

    fn switch_line(&mut self, which: OutputLine, on: bool) -> Result<(), SerialError> {
        let (name, slot) = match which {
            OutputLine::Dtr => ("DTR", &mut self.outputs.dtr),
            OutputLine::Rts => ("RTS", &mut self.outputs.rts),
        };
        *slot = on;
        self.record(&format!("{name} {}", if on { "on" } else { "off" }))
    }

    fn send_break_for(&mut self, duration: libc::c_int) -> Result<(), SerialError> {
        self.record(&format!("BREAK {duration}"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::table::line;

    #[test]
    fn file_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lines");
        let mut f = FileLines::new(p.to_str().unwrap());
        assert!(f.get_lines().is_err(), "no file: a failed read");
        std::fs::write(&p, "CTS DCD\n").unwrap();
        assert_eq!(from_modem(f.get_lines().unwrap()), line::CTS | line::DCD);
        std::fs::write(&p, "DTR").unwrap();
        assert!(f.get_lines().is_err(), "an output named as input");
        f.set_lines(ModemLines { dtr: true, rts: true, cts: true, ..ModemLines::default() }).unwrap();
        f.send_break_for(4901).unwrap();
        f.switch_line(OutputLine::Rts, false).unwrap();
        let out = std::fs::read_to_string(dir.path().join("lines.out")).unwrap();
        assert_eq!(out, "SET DTR+RTS\nBREAK 4901\nRTS off\n");
        std::fs::write(&p, "").unwrap();
        assert_eq!(from_modem(f.get_lines().unwrap()), line::DTR, "outputs read back");
    }
}
