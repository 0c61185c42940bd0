//! `STARTTLS`.
//!
//! Without `CERTFILE`, NUT answers FEATURE-NOT-CONFIGURED and clients (upsmon first of all)
//! carry on in plain text. TLS itself is not implemented yet, so with `CERTFILE` set we answer
//! FEATURE-NOT-SUPPORTED, which is what a NUT built without SSL says; clients react the same.

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};

/// Refuse the upgrade with the code NUT uses for our configuration.
pub fn run(cx: &mut Ctx<'_>) -> CmdResult {
    if cx.session.tls_configured {
        Err(ErrCode::FeatureNotSupported)
    } else {
        Err(ErrCode::FeatureNotConfigured)
    }
}
