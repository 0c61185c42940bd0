//! upsd.users read as NUT reads it, compared with Debian's upsd: setting names in any case,
//! the first password kept, the undocumented actions LOGIN, MASTER and PRIMARY.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};

use common::*;

const USERS_NUT: &str = "[caps]\n Password = one\n PASSWORD = two\n Actions = SET\n\
                         [loginonly]\n password = pw\n actions = LOGIN\n\
                         [master]\n password = pw\n actions = MASTER FSD\n\
                         [prim]\n password = pw\n actions = primary\n\
                         [mon]\n password = pw\n upsmon secondary\n";

fn start(debian: bool) -> Upsd {
    start_upsd_cmd("", |d| {
        std::fs::write(d.join("upsd.users"), USERS_NUT).unwrap();
        let mut cmd =
            if debian { Command::new("/lib/nut/upsd") } else { Command::new(env!("CARGO_BIN_EXE_upsd")) };
        cmd.args(["-F", "-u", "root"]).stderr(Stdio::null());
        cmd
    })
}

/// USERNAME, PASSWORD, then LOGIN, PRIMARY, FSD and SET: the replies.
fn rights(u: &Upsd, user: &str, pass: &str) -> Vec<String> {
    let mut c = u.connect();
    let mut out = vec![c.req(&format!("USERNAME {user}")), c.req(&format!("PASSWORD {pass}"))];
    for l in ["PRIMARY ups1", "FSD ups2", "SET VAR ups1 ups.id \"x\"", "LOGIN ups1"] {
        out.push(c.req(l));
    }
    out
}

#[test]
fn users_file_read_as_debian_upsd_reads_it() {
    if !nut_testkit::require_debian_nut("upsd.users against Debian's upsd") {
        return;
    }
    let theirs = start(true);
    let _dt = (FakeDriver::start(&theirs.socket("ups1")), FakeDriver::start(&theirs.socket("ups2")));
    let mine = start(false);
    let _dm = (FakeDriver::start(&mine.socket("ups1")), FakeDriver::start(&mine.socket("ups2")));
    for u in [&theirs, &mine] {
        assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));
        assert!(u.wait_status("ups2", "VAR ups2 ups.status \"OL\"\n"));
    }
    for (user, pass) in [
        ("caps", "one"),
        ("caps", "two"),
        ("loginonly", "pw"),
        ("master", "pw"),
        ("prim", "pw"),
        ("mon", "pw"),
    ] {
        let want = rights(&theirs, user, pass);
        assert_eq!(rights(&mine, user, pass), want, "{user}/{pass}");
    }
    // What those replies are, so the comparison cannot pass on two equal mistakes.
    assert_eq!(rights(&mine, "loginonly", "pw")[5], "OK\n", "actions = LOGIN allows LOGIN");
    assert_eq!(rights(&mine, "master", "pw")[2], "OK PRIMARY-GRANTED\n", "actions = MASTER allows PRIMARY");
    assert_eq!(rights(&mine, "caps", "one")[4], "OK\n", "Password/Actions in capitals, first password");
    assert_eq!(rights(&mine, "caps", "two")[4], "ERR ACCESS-DENIED\n");
}
