//! NUT's configuration files: one parseconf lexer and a typed parser per file, with file:line diagnostics.
