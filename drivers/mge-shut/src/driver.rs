//! The nut-driver glue: open the SHUT link, run nut-hid-ups's engine with the MGE table
//! (NUT's SHUT build has only `mge_subdriver`, which claims any SHUT device), publish.

use std::time::Instant;

use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, OptSpec, State};
use nut_hid_ups::hidups::{ActionError, EngineOpts, HidUps};
use nut_hid_ups::session::{Poll, Session};
use nut_hid_ups::subdrivers::{mge, powercom};

use crate::link::ShutLink;
use crate::options::{option_specs, settings, Settings};

/// `driver.version.internal` (NUT 2.8.5's usbhid-ups.c, which mge-shut is built from).
pub const VERSION: &str = "0.71";

/// The driver.
#[derive(Default)]
pub struct MgeShut {
    session: Option<Session>,
}

fn checked_settings(ctx: &Context) -> Result<Settings, String> {
    settings(|k| ctx.value(k).map(str::to_string), |k| ctx.flag(k), |k| ctx.location(k))
}

fn result(r: Result<(), ActionError>) -> CmdResult {
    match r {
        Ok(()) => CmdResult::Handled,
        Err(ActionError::Unknown) => CmdResult::Unknown,
        Err(ActionError::Invalid) => CmdResult::Invalid,
        Err(ActionError::Transport(_)) => CmdResult::Failed,
    }
}

impl Driver for MgeShut {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Generic HID driver", version: VERSION }
    }

    /// NUT builds its SHUT driver as DRV_EXPERIMENTAL (usbhid-ups.c, `upsdrv_info`).
    fn experimental(&self) -> bool {
        true
    }

    fn options(&self) -> Vec<OptSpec> {
        option_specs()
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        match checked_settings(ctx) {
            Ok(_) => Vec::new(),
            Err(e) => vec![e],
        }
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        let set = checked_settings(ctx).map_err(DriverError::Config)?;
        if set.notification.is_some() {
            nut_driver::debug!("notification is ignored (kept for backward compatibility)");
        }
        powercom::set_powercom(set.powercom);
        let link = ShutLink::open(&ctx.port, ctx.flag("nolock"), None)
            .map_err(|e| DriverError::Device(e.to_string()))?;
        let info = nut_hid_ups::transport::Transport::info(&link);
        nut_driver::debug!(
            "Detected a UPS: {}/{}",
            info.vendor.as_deref().unwrap_or("unknown"),
            info.product.as_deref().unwrap_or("unknown")
        );
        nut_driver::info!("Using subdriver: {}", mge::SUBDRIVER.name);
        let opts = EngineOpts {
            interrupt_only: false,
            use_interrupts: !set.poll.pollonly,
            disable_fix_report_desc: set.disable_fix_report_desc,
            maxreport: false,
        };
        let mut ups = HidUps::open(Box::new(link), &mge::SUBDRIVER, opts).map_err(DriverError::Device)?;
        ups.policy = set.policy.clone();
        ups.set_delays(set.offdelay, set.ondelay, (20, 30));
        if ups.policy.lbrb_log_delay_sec.is_none() {
            if let Some(n) =
                nut_hid_ups::policy::lbrb_default_for(info.vendor.as_deref(), info.product.as_deref())
            {
                ups.policy.lbrb_log_delay_sec = Some(n);
            }
        }
        state.set_info("driver.parameter.pollfreq", &set.poll.pollfreq.as_secs().to_string());
        state.set_info(
            "driver.parameter.interrupt_pipe_no_events_tolerance",
            &set.no_events_tolerance.to_string(),
        );
        let cmds = ups.commands();
        let mut session = Session::with_opts(ups, set.poll.clone(), set.throttle_sec);
        session.reconnect = nut_driver::reconnect::Reconnect::from_context(ctx);
        session.upsname = ctx.upsname.clone();
        match session.poll(Instant::now()) {
            Poll::Data(s) => nut_hid_ups::publish(state, &s),
            Poll::Stale | Poll::GiveUp(_) => {
                return Err(DriverError::Device("Can't initialize data from HID UPS".into()))
            }
        }
        for c in cmds {
            state.add_cmd(c);
        }
        state.data_ok();
        self.session = Some(session);
        Ok(())
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let Some(s) = self.session.as_mut() else { return Err(DriverError::Device("not connected".into())) };
        match s.poll(Instant::now()) {
            Poll::Data(snap) => {
                nut_hid_ups::publish(state, &snap);
                state.data_ok();
                Ok(())
            }
            Poll::Stale => {
                state.data_stale();
                Err(DriverError::Device("UPS not answering (resynchronising the SHUT link)".into()))
            }
            Poll::GiveUp(why) => Err(DriverError::GiveUp(why)),
        }
    }

    fn instcmd(&mut self, cmd: &str, param: Option<&str>, _state: &mut State) -> CmdResult {
        match self.session.as_mut() {
            Some(s) => result(s.ups.instcmd_with(cmd, param)),
            None => CmdResult::Failed,
        }
    }

    fn set_var(&mut self, var: &str, value: &str, state: &mut State) -> CmdResult {
        let Some(s) = self.session.as_mut() else { return CmdResult::Failed };
        let r = result(s.ups.setvar(var, value));
        if r == CmdResult::Handled {
            state.set_info(var, value);
        }
        r
    }

    fn shutdown(&mut self, _state: &mut State) -> Result<(), DriverError> {
        let s = self.session.as_mut().ok_or_else(|| DriverError::Device("not connected".into()))?;
        // NUT 2.8.5's default: shutdown.return, shutdown.reboot, load.off.delay, shutdown.stayoff.
        for c in ["shutdown.return", "shutdown.reboot", "load.off.delay", "shutdown.stayoff"] {
            if s.ups.instcmd(c).is_ok() {
                nut_driver::info!("Shutdown successful with '{c}'");
                return Ok(());
            }
        }
        Err(DriverError::Device(
            "Shutdown failed! The UPS accepts none of shutdown.return, shutdown.reboot, load.off.delay, \
             shutdown.stayoff"
                .into(),
        ))
    }
}
