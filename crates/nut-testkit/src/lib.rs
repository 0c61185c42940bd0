//! Test support: temporary stacks on loopback, our binaries and Debian's NUT, process guards.
