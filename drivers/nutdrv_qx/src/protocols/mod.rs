//! The protocol tables, one file per NUT subdriver, and the order `protocol = auto` tries
//! them in.
