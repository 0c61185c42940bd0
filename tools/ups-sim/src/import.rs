//! Turn a transcript of `/work/shared/testdata/qx-transcripts` form (`> command`, `< reply`,
//! `#` comments; C escapes such as `\r` kept verbatim in some files, plain text answers that
//! stand for CR-terminated lines in others, `< hex: 23 06 ...` for binary answers) into the
//! skeleton of a device description: one state with every exchange, first answer wins.

use crate::escape::{parse_quoted, quote};

/// One exchange read from a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub cmd: Vec<u8>,
    /// `None`: the transcript gives no answer (or an empty one).
    pub reply: Option<Vec<u8>>,
}

fn unescape_c(s: &str) -> Option<Vec<u8>> {
    let q = format!("\"{}\"", s.replace('"', "\\\""));
    parse_quoted(&q).ok().map(|(b, _)| b)
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    s.split_whitespace().map(|h| u8::from_str_radix(h, 16).ok()).collect()
}

/// The exchanges of a transcript, in order. Commands that are USB setup packets (hex bytes
/// such as `80 06 03 03 09 04 00 66`) are left out: they are not serial commands.
pub fn exchanges(text: &str) -> Vec<Exchange> {
    let escaped = text.lines().any(|l| l.starts_with("> ") && l.contains("\\r"));
    let mut out: Vec<Exchange> = Vec::new();
    let mut pending: Option<Vec<u8>> = None;
    for line in text.lines() {
        if let Some(c) = line.strip_prefix('>') {
            if let Some(cmd) = pending.take() {
                out.push(Exchange { cmd, reply: None });
            }
            let c = c.strip_prefix(' ').unwrap_or(c).trim_end();
            if hex_bytes(c).is_some_and(|b| b.len() == 8) && c.len() == 23 {
                continue;
            }
            let cmd = if escaped || c.contains("\\r") {
                unescape_c(c)
            } else {
                Some(format!("{c}\r").into_bytes())
            };
            pending = cmd;
        } else if let Some(r) = line.strip_prefix('<') {
            let Some(cmd) = pending.take() else { continue };
            let r = r.strip_prefix(' ').unwrap_or(r);
            let reply = if let Some(h) = r.strip_prefix("hex:") {
                hex_bytes(h)
            } else if r.is_empty() {
                None
            } else if escaped || r.contains("\\r") {
                unescape_c(r)
            } else {
                Some(format!("{r}\r").into_bytes())
            };
            out.push(Exchange { cmd, reply });
        }
    }
    if let Some(cmd) = pending {
        out.push(Exchange { cmd, reply: None });
    }
    out
}

/// A description skeleton for the transcript at `path`.
pub fn skeleton(text: &str, path: &str) -> String {
    let name = std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "device".into());
    let mut s = format!(
        "# skeleton made by `ups-sim --import {path}`\ndevice {name}\nsource {path}\n\nstate online\n"
    );
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for ex in exchanges(text) {
        let reply = ex.reply.as_deref().map_or_else(|| "none".to_string(), quote);
        if seen.contains(&ex.cmd) {
            s.push_str(&format!("  # also answered: {} -> {reply}\n", quote(&ex.cmd)));
            continue;
        }
        seen.push(ex.cmd.clone());
        s.push_str(&format!("  {} -> {reply}\n", quote(&ex.cmd)));
    }
    s
}
