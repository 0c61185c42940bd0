//! `STARTTLS`.
//!
//! Without `CERTFILE`, NUT answers FEATURE-NOT-CONFIGURED and clients (upsmon first of all)
//! carry on in plain text. With it we answer `OK STARTTLS` and the connection (see
//! `crate::connection`) runs the TLS handshake as soon as that line is sent; a second
//! STARTTLS on a TLS connection gets ALREADY-SSL-MODE, as in NUT.

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};

/// Accept or refuse the upgrade.
pub fn run(cx: &mut Ctx<'_>) -> CmdResult {
    if cx.session.tls_active || cx.session.start_tls {
        return Err(ErrCode::AlreadySslMode);
    }
    if !cx.session.tls_configured {
        return Err(ErrCode::FeatureNotConfigured);
    }
    cx.out.line(&["OK", "STARTTLS"]);
    cx.session.start_tls = true;
    Ok(())
}
