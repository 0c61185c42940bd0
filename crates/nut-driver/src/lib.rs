//! The driver framework: variable store, driver socket server, poll loop, common flags; drivers implement a trait.
