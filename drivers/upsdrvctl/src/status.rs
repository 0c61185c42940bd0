//! The `status` table (pure): NUT 2.8.5's header and row layout, and the RUNNING column as
//! upsdrvctl(8) defines it.
//!
//! Columns are TAB-separated; UPSNAME is padded on the right and UPSDRV on the left to 11
//! characters (NUT's `%-11s\t%11s`). PF_PID is the PID file's number, or NUT's negative codes
//! (-3: no PID file, -2: nothing readable in it). S_PID is the driver's answer to `GETPID`,
//! S_STATUS the quoted `ups.status` it reports.

/// What the PID file said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PidFile {
    /// No PID file (NUT's -3).
    Missing,
    /// The file exists but holds no line (NUT's -2).
    Empty,
    /// The number in it (C's `strtol`: garbage reads as 0).
    Pid(i64),
}

impl PidFile {
    /// The PF_PID column.
    pub fn column(self) -> i64 {
        match self {
            PidFile::Missing => -3,
            PidFile::Empty => -2,
            PidFile::Pid(p) => p,
        }
    }

    /// A number that can name a process (NUT refuses to signal PIDs below 2).
    pub fn usable(self) -> Option<i64> {
        match self {
            PidFile::Pid(p) if p >= 2 => Some(p),
            _ => None,
        }
    }
}

/// Everything found out about one driver.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Probe {
    /// The PID file (None: not looked at).
    pub pid_file: Option<PidFile>,
    /// Whether the PID from the file runs the driver program (None: no usable PID).
    pub pid_file_alive: Option<bool>,
    /// `PONG` came back.
    pub responsive: bool,
    /// The answer to `GETPID`.
    pub socket_pid: Option<i64>,
    /// Whether that PID runs the driver program.
    pub socket_pid_alive: Option<bool>,
    /// `ups.status` from `DUMPSTATUS`.
    pub status: Option<String>,
}

/// The RUNNING column: `RUNNING` when a PID (file or socket) runs the driver, `STOPPED` when
/// a PID was read but none runs the driver, `N/A` when there was no PID to check.
pub fn running(p: &Probe) -> &'static str {
    let checks = [p.pid_file_alive, p.socket_pid_alive];
    if checks.contains(&Some(true)) {
        "RUNNING"
    } else if checks.contains(&Some(false)) {
        "STOPPED"
    } else {
        "N/A"
    }
}

/// The header line (with its newline).
pub fn header() -> String {
    format!(
        "{:<11}\t{:>11}\t{}\t{}\t{}\t{}\t{}\n",
        "UPSNAME", "UPSDRV", "RUNNING", "PF_PID", "S_RESPONSIVE", "S_PID", "S_STATUS"
    )
}

/// One row (with its newline).
pub fn row(ups: &str, driver: &str, p: &Probe) -> String {
    format!(
        "{ups:<11}\t{driver:>11}\t{}\t{}\t{}\t{}\t{}\n",
        running(p),
        p.pid_file.unwrap_or(PidFile::Missing).column(),
        if p.responsive { "RESPONSIVE" } else { "NOT_RESPONSIVE" },
        p.socket_pid.map(|n| n.to_string()).unwrap_or_else(|| "N/A".into()),
        p.status.as_deref().map(nut_proto::words::quote).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_rows_in_nut_layout() {
        assert_eq!(header(), "UPSNAME    \t     UPSDRV\tRUNNING\tPF_PID\tS_RESPONSIVE\tS_PID\tS_STATUS\n");
        let down = Probe { pid_file: Some(PidFile::Missing), ..Probe::default() };
        assert_eq!(
            row("dummy", "dummy-ups", &down),
            "dummy      \t  dummy-ups\tN/A\t-3\tNOT_RESPONSIVE\tN/A\t\n"
        );
        let up = Probe {
            pid_file: Some(PidFile::Pid(31455)),
            pid_file_alive: Some(true),
            responsive: true,
            socket_pid: Some(31455),
            socket_pid_alive: Some(true),
            status: Some("OL BOOST".into()),
        };
        assert_eq!(
            row("UPS2", "dummy-ups", &up),
            "UPS2       \t  dummy-ups\tRUNNING\t31455\tRESPONSIVE\t31455\t\"OL BOOST\"\n"
        );
        // Long names are not cut.
        assert!(row("a-very-long-ups-name", "usbhid-ups-x", &down)
            .starts_with("a-very-long-ups-name\tusbhid-ups-x\t"));
    }

    #[test]
    fn running_column_as_the_man_page_defines_it() {
        let mut p = Probe::default();
        assert_eq!(running(&p), "N/A");
        p.pid_file_alive = Some(false);
        assert_eq!(running(&p), "STOPPED");
        p.socket_pid_alive = Some(true);
        assert_eq!(running(&p), "RUNNING");
        p.pid_file_alive = None;
        assert_eq!(running(&p), "RUNNING");
    }

    #[test]
    fn pid_file_codes() {
        assert_eq!(PidFile::Missing.column(), -3);
        assert_eq!(PidFile::Empty.column(), -2);
        assert_eq!(PidFile::Pid(0).usable(), None);
        assert_eq!(PidFile::Pid(1).usable(), None);
        assert_eq!(PidFile::Pid(42).usable(), Some(42));
    }

    #[test]
    fn status_values_are_quoted_and_escaped() {
        let p = Probe { status: Some("a \"b\"".into()), ..Probe::default() };
        assert!(row("u", "d", &p).ends_with("\t\"a \\\"b\\\"\"\n"));
    }
}
