//! `ups.status` tokens.
//!
//! The status is a space-separated list of tokens. Drivers emit non-standard tokens too
//! (`TEST`, `OVERHEAT`, `COMMFAULT`, ...), so unknown tokens are kept, never rejected.

/// Tokens every client understands (NUT's standard set plus `ALARM` and `ECO`).
pub const STANDARD_TOKENS: &[&str] = &[
    "OL", "OB", "LB", "HB", "RB", "CHRG", "DISCHRG", "BYPASS", "CAL", "OFF", "OVER", "TRIM", "BOOST", "FSD",
    "ALARM", "ECO",
];

/// Placeholder upsd shows until a driver has sent its first data.
pub const WAIT: &str = "WAIT";

/// Split a status value into its tokens.
pub fn tokens(status: &str) -> impl Iterator<Item = &str> {
    status.split_ascii_whitespace()
}

/// True if `status` contains `token` as a whole word.
pub fn has(status: &str, token: &str) -> bool {
    tokens(status).any(|t| t == token)
}

/// True for a token outside [`STANDARD_TOKENS`] (upsmon's `OTHER` notification).
pub fn is_other(token: &str) -> bool {
    !STANDARD_TOKENS.contains(&token) && token != WAIT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_word_match() {
        assert!(has("OB LB", "LB"));
        assert!(!has("OB DISCHRG", "CHRG"));
        assert!(is_other("OVERHEAT"));
        assert!(!is_other("OL"));
    }
}
