//! One file per upsdrvctl command.

pub mod control;
pub mod list;
pub mod shutdown;
pub mod start;
pub mod status;
pub mod stop;
