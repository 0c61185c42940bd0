//! The protocol tables, one file per NUT subdriver, and the order `protocol = auto` tries
//! them in.

use crate::model::Subdriver;

pub mod ablerex;
pub mod bestups;
pub mod blazer;
pub mod gtec;
pub mod hunnox;
pub mod innovart31;
pub mod innovart33;
pub mod innovatae;
pub mod masterguard;
pub mod mecer;
pub mod megatec;
pub mod megatec_old;
pub mod mustek;
pub mod q1;
pub mod q2;
pub mod q6;
pub mod voltronic;
pub mod voltronic_axpert;
pub mod voltronic_qs;
pub mod voltronic_qs_hex;
pub mod zinto;

/// The protocols in NUT 2.8.5's detection order (the Voltronic family first, Q1 as the
/// fallback). Protocols not yet tabled here are left out of the order, not faked.
pub fn all() -> Vec<&'static Subdriver> {
    vec![
        &voltronic::SUBDRIVER,
        &voltronic_axpert::SUBDRIVER,
        &voltronic_qs::SUBDRIVER,
        &voltronic_qs_hex::SUBDRIVER,
        &mustek::SUBDRIVER,
        &megatec_old::SUBDRIVER,
        &bestups::SUBDRIVER,
        &mecer::SUBDRIVER,
        &megatec::SUBDRIVER,
        &zinto::SUBDRIVER,
        &masterguard::SUBDRIVER,
        &hunnox::SUBDRIVER,
        &ablerex::SUBDRIVER,
        &innovart31::SUBDRIVER,
        &innovart33::SUBDRIVER,
        &innovatae::SUBDRIVER,
        &q2::SUBDRIVER,
        &q6::SUBDRIVER,
        &gtec::SUBDRIVER,
        &q1::SUBDRIVER,
    ]
}

/// The protocol named by `protocol=` (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static Subdriver> {
    all().into_iter().find(|s| s.name.eq_ignore_ascii_case(name))
}
