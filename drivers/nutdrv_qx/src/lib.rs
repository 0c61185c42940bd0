//! nutdrv_qx: the Megatec/Q1 protocol family driver.
//!
//! Placeholder crate root of the bridges branch: the nutdrv_qx core branch owns this file.
pub mod bridges;
