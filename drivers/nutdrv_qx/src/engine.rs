//! Walking a protocol table against the device (filled in below).
