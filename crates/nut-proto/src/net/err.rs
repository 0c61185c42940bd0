//! NUT's `ERR` codes.
//!
//! Clients parse these names (WinNUT feeds them to `Enum.Parse` and throws on anything
//! unknown), so the set is closed: never add a code NUT doesn't send.

use std::fmt;
use std::str::FromStr;

/// An `ERR <CODE>` reply of upsd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrCode {
    /// The user lacks the right for this request, or the credentials are wrong.
    AccessDenied,
    /// `LOGIN` was sent twice on one connection.
    AlreadyLoggedIn,
    /// `PASSWORD` was sent twice.
    AlreadySetPassword,
    /// `USERNAME` was sent twice.
    AlreadySetUsername,
    /// `STARTTLS` on a connection that is already encrypted.
    AlreadySslMode,
    /// Data of this UPS is stale (no news from the driver within MAXAGE).
    DataStale,
    /// upsd has no connection to this UPS's driver.
    DriverNotConnected,
    /// The feature exists but is not configured (STARTTLS without a certificate).
    FeatureNotConfigured,
    /// The feature is not built in.
    FeatureNotSupported,
    /// The driver reported that the instant command failed.
    InstcmdFailed,
    /// A request has the wrong number or form of arguments.
    InvalidArgument,
    /// The password is not acceptable.
    InvalidPassword,
    /// The username is not acceptable.
    InvalidUsername,
    /// A SET value is outside the enum or range of the variable.
    InvalidValue,
    /// A privileged request came before `PASSWORD`.
    PasswordRequired,
    /// The variable is read-only.
    Readonly,
    /// The driver reported that the SET failed.
    SetFailed,
    /// A SET value is longer than the variable allows.
    TooLong,
    /// The first word is not a command upsd knows.
    UnknownCommand,
    /// No UPS of that name.
    UnknownUps,
    /// A privileged request came before `USERNAME`.
    UsernameRequired,
    /// The UPS has no such variable.
    VarNotSupported,
    /// The UPS has no such instant command.
    CmdNotSupported,
    /// `GET TRACKING <id>` for an id upsd doesn't know (or no longer keeps).
    Unknown,
    /// `GET TRACKING <id>`: the command or set failed.
    Failed,
}

const NAMES: &[(ErrCode, &str)] = &[
    (ErrCode::AccessDenied, "ACCESS-DENIED"),
    (ErrCode::AlreadyLoggedIn, "ALREADY-LOGGED-IN"),
    (ErrCode::AlreadySetPassword, "ALREADY-SET-PASSWORD"),
    (ErrCode::AlreadySetUsername, "ALREADY-SET-USERNAME"),
    (ErrCode::AlreadySslMode, "ALREADY-SSL-MODE"),
    (ErrCode::CmdNotSupported, "CMD-NOT-SUPPORTED"),
    (ErrCode::DataStale, "DATA-STALE"),
    (ErrCode::DriverNotConnected, "DRIVER-NOT-CONNECTED"),
    (ErrCode::Failed, "FAILED"),
    (ErrCode::FeatureNotConfigured, "FEATURE-NOT-CONFIGURED"),
    (ErrCode::FeatureNotSupported, "FEATURE-NOT-SUPPORTED"),
    (ErrCode::InstcmdFailed, "INSTCMD-FAILED"),
    (ErrCode::InvalidArgument, "INVALID-ARGUMENT"),
    (ErrCode::InvalidPassword, "INVALID-PASSWORD"),
    (ErrCode::InvalidUsername, "INVALID-USERNAME"),
    (ErrCode::InvalidValue, "INVALID-VALUE"),
    (ErrCode::PasswordRequired, "PASSWORD-REQUIRED"),
    (ErrCode::Readonly, "READONLY"),
    (ErrCode::SetFailed, "SET-FAILED"),
    (ErrCode::TooLong, "TOO-LONG"),
    (ErrCode::Unknown, "UNKNOWN"),
    (ErrCode::UnknownCommand, "UNKNOWN-COMMAND"),
    (ErrCode::UnknownUps, "UNKNOWN-UPS"),
    (ErrCode::UsernameRequired, "USERNAME-REQUIRED"),
    (ErrCode::VarNotSupported, "VAR-NOT-SUPPORTED"),
];

impl ErrCode {
    /// The code as it appears on the wire, e.g. `DATA-STALE`.
    pub fn as_str(self) -> &'static str {
        NAMES.iter().find(|(c, _)| *c == self).map(|(_, n)| *n).unwrap_or("UNKNOWN")
    }

    /// The full reply line without the newline: `ERR DATA-STALE`.
    pub fn reply(self) -> String {
        format!("ERR {}", self.as_str())
    }

    /// A sentence for humans, used by our clients after NUT's own error text.
    pub fn explain(self) -> &'static str {
        match self {
            Self::AccessDenied => "the user lacks the right for this, or the user name or password is wrong (see upsd.users)",
            Self::DataStale => "the driver has sent no fresh data within MAXAGE: check that the driver is running and can reach the UPS",
            Self::DriverNotConnected => "upsd cannot reach the driver's socket: start the driver (upsdrvctl start) and check STATEPATH",
            Self::UnknownUps => "no UPS of that name in upsd's ups.conf (list them with: upsc -l)",
            Self::VarNotSupported => "the UPS does not report this variable (list them with: upsc <ups>)",
            Self::CmdNotSupported => "the UPS has no such instant command (list them with: upscmd -l <ups>)",
            Self::UsernameRequired | Self::PasswordRequired => "give a user name and password (-u and -p)",
            Self::FeatureNotConfigured => "the server has this feature but it is not set up (for STARTTLS: CERTFILE in upsd.conf)",
            Self::FeatureNotSupported => "this upsd was built without the feature (for STARTTLS: a build with SSL support)",
            Self::Readonly => "the variable is not writable (list the writable ones with: upsrw -l <ups>)",
            Self::InvalidValue => "the value is outside the variable's allowed values or range (see them with: upsrw -l <ups>)",
            Self::TooLong => "the value is longer than the variable allows (see STRING:<n> in: upsrw -l <ups>)",
            Self::SetFailed => "the driver refused the change: check the driver's log (run it with -D) and the value",
            Self::InstcmdFailed => "the driver could not run the command: check the driver's log (run it with -D)",
            Self::InvalidArgument => "the request has the wrong number or form of arguments",
            Self::UnknownCommand => "upsd does not know this request (an older upsd, or a typo)",
            Self::AlreadyLoggedIn => "this connection already sent LOGIN; one LOGIN per connection",
            Self::AlreadySetUsername | Self::AlreadySetPassword => "USERNAME and PASSWORD can be sent once per connection",
            Self::AlreadySslMode => "this connection is already encrypted",
            Self::InvalidUsername | Self::InvalidPassword => "check the user name and password against upsd.users",
            Self::Unknown | Self::Failed => "",
        }
    }
}

impl fmt::Display for ErrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown `ERR` code name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown NUT error code {0:?}")]
pub struct UnknownErrCode(pub String);

impl FromStr for ErrCode {
    type Err = UnknownErrCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NAMES.iter().find(|(_, n)| *n == s).map(|(c, _)| *c).ok_or_else(|| UnknownErrCode(s.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (code, name) in NAMES {
            assert_eq!(code.as_str(), *name);
            assert_eq!(name.parse::<ErrCode>().unwrap(), *code);
        }
        assert_eq!(ErrCode::DataStale.reply(), "ERR DATA-STALE");
        assert!("BOGUS".parse::<ErrCode>().is_err());
    }

    #[test]
    fn every_error_a_client_prints_says_what_to_do() {
        // UNKNOWN and FAILED are tracking results, not errors printed by the clients.
        for (code, name) in NAMES {
            if !matches!(code, ErrCode::Unknown | ErrCode::Failed) {
                assert!(!code.explain().is_empty(), "{name} has no hint");
            }
        }
    }
}
