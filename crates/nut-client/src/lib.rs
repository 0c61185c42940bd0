//! Client library for upsd's network protocol; every client program reaches upsd through it.
