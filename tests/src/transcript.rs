//! The transcript format: setup directives, `C:` requests and `S:` replies (filled in below).
