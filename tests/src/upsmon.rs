//! [`Upsmon`]: our upsmon as the power-failure tests of every serial driver run it (primary on
//! the [`SerialStack`]'s UPS `q`, NOTIFYCMD appending `$NOTIFYTYPE $UPSNAME` to `notify.log`,
//! SHUTDOWNCMD writing `shutdown.marker`), stopped by PID on drop.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_testkit::sim::UpsSim;
use nut_testkit::stack::tail;
use nut_testkit::{bin, wait_until, Proc, TempDir};

use crate::serial::SerialStack;

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Our upsmon, primary on `q`, its notifications in `notify.log`, SHUTDOWNCMD writing
/// `shutdown.marker`.
pub struct Upsmon {
    _proc: Proc,
    dir: TempDir,
}

impl Upsmon {
    pub fn start(port: u16) -> Upsmon {
        let dir = TempDir::new().expect("temp dir");
        let d = dir.path();
        let mut conf = format!(
            "MONITOR q@127.0.0.1:{port} 1 mon monpw primary\nMINSUPPLIES 1\nPOLLFREQ 1\nPOLLFREQALERT 1\n\
             DEADTIME 15\nHOSTSYNC 1\nFINALDELAY 0\nNOTIFYCMD {d}/notify.sh\n\
             SHUTDOWNCMD \"{d}/shutdown.sh\"\nPOWERDOWNFLAG {d}/killpower\n",
            d = d.display()
        );
        for t in ["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "NOCOMM"] {
            conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
        }
        std::fs::write(d.join("upsmon.conf"), conf).expect("upsmon.conf");
        set_mode(&d.join("upsmon.conf"), 0o600);
        let notify = d.join("notify.sh");
        std::fs::write(
            &notify,
            format!("#!/bin/sh\necho \"$NOTIFYTYPE $UPSNAME\" >> {}/notify.log\n", d.display()),
        )
        .expect("notify.sh");
        set_mode(&notify, 0o700);
        let shutdown = d.join("shutdown.sh");
        std::fs::write(&shutdown, format!("#!/bin/sh\necho shutdown > {}/shutdown.marker\n", d.display()))
            .expect("shutdown.sh");
        set_mode(&shutdown, 0o700);
        let mut cmd = Command::new(bin("upsmon"));
        cmd.args(["-F", "-p", "-u", "root"])
            .env("NUT_CONFPATH", d)
            .env("NUT_ALTPIDPATH", d)
            .env("NUT_STATEPATH", d)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("upsmon.log")).expect("upsmon log"));
        Upsmon { _proc: Proc::spawn(cmd), dir }
    }

    /// The notifications so far, in order (`ONBATT q@127.0.0.1:<port>`, ...).
    pub fn notes(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("notify.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("upsmon.log")).unwrap_or_default()
    }

    /// Its directory (NUT_CONFPATH, NUT_STATEPATH, POWERDOWNFLAG `killpower`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn marker(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("shutdown.marker")).ok()
    }

    /// Wait for a notification `what` about `q`; returns how long it took.
    pub fn await_note(
        &self,
        what: &str,
        timeout: Duration,
        st: &SerialStack,
        sim: Option<&UpsSim>,
    ) -> Duration {
        let t0 = Instant::now();
        // UPSNAME is the MONITOR line's system name, `q@127.0.0.1:<port>`.
        let want = format!("{what} {}", st.target());
        let hit = wait_until(timeout, || self.notes().contains(&want));
        assert!(
            hit,
            "NOTIFYCMD got no {what} within {timeout:?}: notifications {:?}\nupsmon log:\n{}\ndriver log:\n{}\n\
             simulator events (last):\n{}",
            self.notes(),
            tail(&self.log(), 20),
            tail(&st.driver_log(), 20),
            sim.map(|s| tail(&s.events().join("\n"), 10)).unwrap_or_default()
        );
        t0.elapsed()
    }
}
