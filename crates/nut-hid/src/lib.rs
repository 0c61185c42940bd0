//! USB HID report descriptor parser and Power Device usage tables (pure, no I/O).
