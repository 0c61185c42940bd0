//! The engine: reads the device's reports, interprets the subdriver tables and produces NUT
//! variables, `ups.status` and `ups.alarm`; runs instant commands and writes variables.

use std::collections::{BTreeMap, HashMap};

use nut_hid::{parse, path_to_string, usage, value::format_g, Descriptor, Field, ReportType};

use crate::policy::{self, Policy};
use crate::subdrivers::{flag, Conv, StatusBit, Subdriver, VarMap};
use crate::transport::{Transport, TransportError};

/// Options the engine acts on, from the driver's options and the device table's claim.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HidContext {
    /// `maxreport` (or NUT's APC Back-UPS check): GET_REPORT asks for
    /// [`MAX_REPORT_REQUEST`] bytes instead of the descriptor's report length.
    pub max_report: bool,
    /// `disable_fix_report_desc`: do not apply the subdriver's `fix_report_desc`.
    pub disable_fix_report_desc: bool,
}

/// The GET_REPORT length asked for with `maxreport`.
pub const MAX_REPORT_REQUEST: usize = 255;

/// Everything one update publishes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Variables (without `ups.status`/`ups.alarm`).
    pub vars: BTreeMap<String, String>,
    /// `ups.status` tokens joined by spaces.
    pub status: String,
    /// `ups.alarm` text, empty when none.
    pub alarm: String,
    /// On line and discharging with no option saying why (see [`crate::policy`]).
    pub unexplained_online_discharge: bool,
}

/// Errors from commands and SET VAR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The command or variable is not supported by this device.
    #[error("not supported by this UPS")]
    Unknown,
    /// The value is not acceptable.
    #[error("invalid value")]
    Invalid,
    /// The device failed.
    #[error("{0}")]
    Transport(#[from] TransportError),
}

/// A connected UPS.
pub struct HidUps {
    transport: Box<dyn Transport>,
    /// The subdriver in use.
    pub subdriver: &'static Subdriver,
    /// The parsed report descriptor.
    pub descriptor: Descriptor,
    /// Names of usages: the subdriver's vendor tables.
    pub tables: &'static [usage::UsageTable],
    /// `offdelay` (seconds) used by `load.off.delay` and `ups.delay.shutdown`.
    pub offdelay: String,
    /// `ondelay` (seconds).
    pub ondelay: String,
    /// How status bits become `ups.status` (NUT's status options).
    pub policy: Policy,
    /// Options the engine acts on (`maxreport`, `disable_fix_report_desc`).
    pub context: HidContext,
    strings: HashMap<u8, Option<String>>,
    paths: HashMap<String, usize>,
    /// The last known data of every report read (without the id byte); `None` = the device
    /// does not have it. Polls refresh it, interrupt events patch it.
    last: HashMap<(ReportType, u8), Option<Vec<u8>>>,
    /// A command or write changed the device: the next update must be a full one.
    dirty: bool,
}

/// Which reports an update reads from the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Every report a variable comes from (NUT's full update, every `pollfreq`).
    Full,
    /// Only the reports holding status bits (NUT's quick update, every `pollinterval`).
    Quick,
    /// Nothing: interrupt events alone keep the data current (`interruptonly`).
    Events,
}

/// Why an interrupt-in report was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Empty transfer.
    #[error("empty interrupt report")]
    Empty,
    /// No Input fields with this report id exist in the descriptor.
    #[error("interrupt report 0x{0:02x} is not in the report descriptor")]
    UnknownReport(u8),
    /// Shorter than the descriptor says.
    #[error("interrupt report 0x{id:02x} has {have} data byte(s), the descriptor says {need}")]
    Short {
        /// Report id.
        id: u8,
        /// Bytes present (after the id).
        have: usize,
        /// Bytes needed.
        need: usize,
    },
}

/// Format a number with a printf `%.Nf` format.
pub fn printf_f(fmt: &str, v: f64) -> String {
    let prec = fmt.strip_prefix("%.").and_then(|s| s.strip_suffix('f')).and_then(|n| n.parse::<usize>().ok());
    match prec {
        Some(p) => format!("{:.*}", p, v),
        None => format_g(v),
    }
}

impl HidUps {
    /// Read and parse the descriptor; pick the subdriver by the device's ids.
    pub fn new(transport: Box<dyn Transport>, subdriver: &'static Subdriver) -> Result<HidUps, String> {
        HidUps::with_context(transport, subdriver, HidContext::default())
    }

    /// [`HidUps::new`] with the options the engine acts on.
    pub fn with_context(
        mut transport: Box<dyn Transport>,
        subdriver: &'static Subdriver,
        context: HidContext,
    ) -> Result<HidUps, String> {
        let bytes =
            transport.descriptor().map_err(|e| format!("can't read the HID report descriptor: {e}"))?;
        let descriptor = parse(&bytes).map_err(|e| e.to_string())?;
        let tables = subdriver.usages;
        let mut paths = HashMap::new();
        // Feature fields win over Input fields of the same path, as in NUT (control pipe reads).
        for (i, f) in descriptor.fields.iter().enumerate().rev() {
            let p = path_to_string(&f.path, tables);
            let better = paths.get(&p).is_none_or(|&j: &usize| {
                f.report_type == ReportType::Feature
                    || descriptor.fields[j].report_type != ReportType::Feature
            });
            if better {
                paths.insert(p, i);
            }
        }
        Ok(HidUps {
            transport,
            subdriver,
            descriptor,
            tables,
            offdelay: "20".into(),
            ondelay: "30".into(),
            policy: Policy::default(),
            context,
            strings: HashMap::new(),
            paths,
            last: HashMap::new(),
            dirty: false,
        })
    }

    /// Re-read the descriptor after a reconnect (a replugged device may have new firmware).
    pub fn reload(&mut self) -> Result<(), String> {
        let bytes =
            self.transport.descriptor().map_err(|e| format!("can't read the HID report descriptor: {e}"))?;
        let d = parse(&bytes).map_err(|e| e.to_string())?;
        if d != self.descriptor {
            let t = std::mem::replace(&mut self.transport, Box::new(crate::transport::Dead));
            let (off, on) = (self.offdelay.clone(), self.ondelay.clone());
            let policy = self.policy.clone();
            *self = HidUps::with_context(t, self.subdriver, self.context)?;
            self.offdelay = off;
            self.ondelay = on;
            self.policy = policy;
        }
        self.strings.clear();
        self.last.clear();
        Ok(())
    }

    /// The transport (for reconnects).
    pub fn transport(&mut self) -> &mut dyn Transport {
        self.transport.as_mut()
    }

    /// The field for a NUT path, if the device has it.
    pub fn field(&self, path: &str) -> Option<&Field> {
        self.paths.get(path).map(|&i| &self.descriptor.fields[i])
    }

    /// Read one report and check it is the one asked for (id byte and length).
    pub fn read_report(&mut self, rt: ReportType, id: u8) -> Result<Vec<u8>, TransportError> {
        let len = self.descriptor.wire_length(rt, id).unwrap_or(64);
        // `maxreport`: ask for a whole buffer, for firmware that sends more than it describes.
        let ask = if self.context.max_report { len.max(MAX_REPORT_REQUEST) } else { len };
        let bytes = self.transport.get_report(rt, id, ask)?;
        let ids = self.descriptor.uses_report_ids;
        if ids && bytes.first() != Some(&id) {
            return Err(TransportError::Io(format!(
                "garbage from the device: asked for report 0x{id:02x}, got {}",
                bytes.first().map_or("nothing".to_string(), |b| format!("0x{b:02x}"))
            )));
        }
        if bytes.len() < len {
            return Err(TransportError::Io(format!(
                "short read from the device: report 0x{id:02x} has {} of {len} bytes",
                bytes.len()
            )));
        }
        Ok(if ids { bytes[1..].to_vec() } else { bytes })
    }

    fn string(&mut self, idx: u8) -> Option<String> {
        if idx == 0 {
            return None;
        }
        if let Some(s) = self.strings.get(&idx) {
            return s.clone();
        }
        let s = self.transport.string(idx).ok().map(|s| s.trim_end().to_string());
        self.strings.insert(idx, s.clone());
        s
    }

    /// Read every report and build the variables (a full update). Transport errors other
    /// than unsupported reports abort the update (the caller marks data stale and reconnects).
    pub fn update(&mut self) -> Result<Snapshot, TransportError> {
        self.refresh(Walk::Full)?;
        Ok(self.snapshot())
    }

    /// True once after a command or write changed the device (the caller then runs a full walk).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Re-read the reports `walk` asks for. Reports never read before are always read.
    pub fn refresh(&mut self, walk: Walk) -> Result<(), TransportError> {
        let mut keys: Vec<(ReportType, u8)> = Vec::new();
        for m in self.subdriver.all_vars() {
            if m.flags & flag::ABSENT != 0 {
                continue;
            }
            let Some(field) = self.field(m.path) else { continue };
            let key = (field.report_type, field.report_id);
            let status = matches!(m.conv, Conv::Status(_) | Conv::StatusIfZero(_));
            let wanted = match walk {
                Walk::Full => true,
                Walk::Quick => status,
                Walk::Events => false,
            };
            if (wanted || !self.last.contains_key(&key)) && !keys.contains(&key) {
                keys.push(key);
            }
        }
        for key in keys {
            match self.read_report(key.0, key.1) {
                Ok(r) => {
                    self.last.insert(key, Some(r));
                }
                Err(TransportError::NotSupported) => {
                    self.last.insert(key, None);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Apply one interrupt-in report: every Input field it carries updates the last known
    /// value of the same path (which polls may read from a Feature report). Returns how many
    /// fields were updated; a report that does not fit the descriptor changes nothing.
    pub fn apply_event(&mut self, report: &[u8]) -> Result<usize, EventError> {
        let (id, data) = if self.descriptor.uses_report_ids {
            let (&id, rest) = report.split_first().ok_or(EventError::Empty)?;
            (id, rest)
        } else if report.is_empty() {
            return Err(EventError::Empty);
        } else {
            (0, report)
        };
        let need = self
            .descriptor
            .wire_length(ReportType::Input, id)
            .ok_or(EventError::UnknownReport(id))?
            .saturating_sub(usize::from(self.descriptor.uses_report_ids));
        if data.len() < need {
            return Err(EventError::Short { id, have: data.len(), need });
        }
        let fields: Vec<Field> = self
            .descriptor
            .fields
            .iter()
            .filter(|f| f.report_type == ReportType::Input && f.report_id == id)
            .cloned()
            .collect();
        let mut n = 0;
        for f in fields {
            let Ok(logical) = f.logical_value(data) else { continue };
            let path = path_to_string(&f.path, self.tables);
            let Some(target) = self.field(&path).cloned() else { continue };
            let key = (target.report_type, target.report_id);
            match self.last.get_mut(&key) {
                Some(Some(buf)) => n += usize::from(target.store(buf, logical).is_ok()),
                _ if key == (ReportType::Input, id) => {
                    self.last.insert(key, Some(data[..need].to_vec()));
                    n += 1;
                }
                _ => {}
            }
        }
        Ok(n)
    }

    /// Build the variables from the last known report data.
    pub fn snapshot(&mut self) -> Snapshot {
        let mut snap = Snapshot::default();
        let mut bits: BTreeMap<StatusBit, bool> = BTreeMap::new();
        let entries: Vec<&'static VarMap> = self.subdriver.all_vars().collect();
        for m in entries {
            if !m.var.is_empty() && snap.vars.contains_key(m.var) {
                continue;
            }
            let Some(field) = self.field(m.path).cloned() else { continue };
            if m.flags & flag::ABSENT != 0 {
                let v = match m.fmt {
                    "offdelay" => self.offdelay.clone(),
                    "ondelay" => self.ondelay.clone(),
                    other => other.to_string(),
                };
                snap.vars.insert(m.var.to_string(), v);
                continue;
            }
            let key = (field.report_type, field.report_id);
            let Some(Some(data)) = self.last.get(&key) else { continue };
            let Ok(v) = field.value(data) else { continue };
            let text = match m.conv {
                Conv::Number => Some(printf_f(m.fmt, v)),
                Conv::StringId => self.string(v as u8),
                Conv::Lookup(t) => t.iter().find(|(k, _)| *k == v as i64).map(|(_, s)| s.to_string()),
                Conv::Date => {
                    let d = v as i64;
                    (d > 0).then(|| format!("{:04}/{:02}/{:02}", (d >> 9) + 1980, (d >> 5) & 0xf, d & 0x1f))
                }
                Conv::ApcDate => {
                    let h = format!("{:06x}", v as i64 & 0xff_ffff);
                    let n = |s: &str| s.parse::<u32>().ok();
                    match (n(&h[0..2]), n(&h[2..4]), n(&h[4..6])) {
                        (Some(m), Some(d), Some(y)) if (1..=12).contains(&m) => {
                            Some(format!("{:04}/{m:02}/{d:02}", if y >= 70 { 1900 + y } else { 2000 + y }))
                        }
                        _ => None,
                    }
                }
                Conv::KelvinToCelsius => Some(printf_f("%.1f", v - 273.15)),
                Conv::Status(b) => {
                    *bits.entry(b).or_default() |= v != 0.0;
                    None
                }
                Conv::StatusIfZero(b) => {
                    *bits.entry(b).or_default() |= v == 0.0;
                    None
                }
                Conv::StatusMap(map) => {
                    if let Some((_, set)) = map.iter().find(|(k, _)| *k == v as i64) {
                        // As NUT's process_boolean_info: "bit" sets it, "!bit" clears it.
                        for &(b, on) in *set {
                            bits.insert(b, on);
                        }
                    }
                    None
                }
                Conv::Fun(f) => (f.fun)(v),
            };
            if let (Some(t), false) = (text, m.var.is_empty()) {
                snap.vars.insert(m.var.to_string(), t);
            }
        }
        if let Some(l) = self.policy.lowbatt {
            snap.vars.insert("battery.charge.low".into(), format_g(l));
        }
        let st = policy::status(&bits, &snap.vars, &self.policy);
        snap.status = st.tokens;
        snap.unexplained_online_discharge = st.unexplained_online_discharge;
        let on = |b| bits.get(&b).copied().unwrap_or(false);
        let alarms: &[(StatusBit, &str)] = &[
            (StatusBit::ReplaceBatt, "Replace battery!"),
            (StatusBit::ShutdownImminent, "Shutdown imminent!"),
            (StatusBit::FanFailure, "Fan failure!"),
            (StatusBit::NoBattery, "No battery installed!"),
            (StatusBit::BattVoltLow, "Battery voltage too low!"),
            (StatusBit::BattVoltHigh, "Battery voltage too high!"),
            (StatusBit::Overheat, "Temperature too high!"),
            (StatusBit::InternalFailure, "Internal UPS fault!"),
            (StatusBit::AwaitingPower, "Awaiting power!"),
        ];
        snap.alarm = alarms.iter().filter(|(b, _)| on(*b)).map(|(_, t)| *t).collect::<Vec<_>>().join(" ");
        self.identity(&mut snap);
        snap
    }

    /// The string the subdriver's `model_suffix` path points at (from the last known reports).
    fn model_suffix(&mut self) -> Option<String> {
        let path = self.subdriver.model_suffix?;
        let field = self.field(path).cloned()?;
        let key = (field.report_type, field.report_id);
        if !self.last.contains_key(&key) {
            let r = self.read_report(key.0, key.1).ok();
            self.last.insert(key, r);
        }
        let data = self.last.get(&key)?.as_ref()?;
        let idx = field.raw_value(data).ok()?;
        self.string(u8::try_from(idx).ok()?)
    }

    fn identity(&mut self, snap: &mut Snapshot) {
        let info = self.transport.info();
        let v = &mut snap.vars;
        v.insert("device.type".into(), "ups".into());
        v.insert("ups.vendorid".into(), format!("{:04x}", info.vendor_id));
        v.insert("ups.productid".into(), format!("{:04x}", info.product_id));
        v.insert("driver.version.data".into(), self.subdriver.name.into());
        let mfr = info.vendor.clone().unwrap_or_else(|| self.subdriver.mfr.to_string());
        v.insert("ups.mfr".into(), mfr.clone());
        v.insert("device.mfr".into(), mfr);
        if let Some(p) = info.product {
            let model = match self.model_suffix() {
                Some(sfx) if !sfx.is_empty() => format!("{p} {sfx}"),
                _ => p,
            };
            let v = &mut snap.vars;
            v.insert("ups.model".into(), model.clone());
            v.insert("device.model".into(), model);
        }
        let v = &mut snap.vars;
        if let Some(s) = info.serial {
            v.insert("ups.serial".into(), s.clone());
            v.insert("device.serial".into(), s);
        }
    }

    /// Writable variables: (name, maximum length).
    pub fn writable(&self) -> Vec<(&'static str, usize)> {
        let mut out: Vec<(&'static str, usize)> = Vec::new();
        for m in self.subdriver.all_vars() {
            if m.flags & flag::RW != 0
                && self.field(m.path).is_some()
                && !out.iter().any(|(n, _)| *n == m.var)
            {
                out.push((m.var, 10));
            }
        }
        out
    }

    /// Instant commands the device supports.
    pub fn commands(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for c in self.subdriver.all_cmds() {
            if self.field(c.path).is_some() && !out.contains(&c.cmd) {
                out.push(c.cmd);
            }
        }
        out
    }

    fn write_path(&mut self, path: &str, physical: f64) -> Result<(), ActionError> {
        let field = self.field(path).cloned().ok_or(ActionError::Unknown)?;
        let rt = field.report_type;
        let id = field.report_id;
        let mut data = match self.read_report(rt, id) {
            Ok(d) => d,
            Err(TransportError::NotSupported) => vec![0; self.descriptor.wire_length(rt, id).unwrap_or(1)],
            Err(e) => return Err(e.into()),
        };
        field.store(&mut data, field.to_logical(physical)).map_err(|_| ActionError::Invalid)?;
        let mut wire = Vec::with_capacity(data.len() + 1);
        if self.descriptor.uses_report_ids {
            wire.push(id);
        }
        wire.extend_from_slice(&data);
        self.transport.set_report(rt, id, &wire)?;
        self.dirty = true;
        Ok(())
    }

    /// Run an instant command.
    pub fn instcmd(&mut self, name: &str) -> Result<(), ActionError> {
        let found =
            self.subdriver.all_cmds().find(|c| c.cmd == name && self.field(c.path).is_some()).copied();
        let c = found.ok_or(ActionError::Unknown)?;
        let value = match c.value {
            "offdelay" => self.offdelay.clone(),
            "ondelay" => self.ondelay.clone(),
            v => v.to_string(),
        };
        let v: f64 = value.parse().map_err(|_| ActionError::Invalid)?;
        self.write_path(c.path, v)
    }

    /// SET VAR.
    pub fn setvar(&mut self, var: &str, value: &str) -> Result<(), ActionError> {
        let found = self
            .subdriver
            .all_vars()
            .find(|m| m.var == var && m.flags & flag::RW != 0 && self.field(m.path).is_some());
        let m = found.ok_or(ActionError::Unknown)?;
        if m.flags & flag::ABSENT != 0 {
            value.parse::<u32>().map_err(|_| ActionError::Invalid)?;
            match m.fmt {
                "offdelay" => self.offdelay = value.to_string(),
                "ondelay" => self.ondelay = value.to_string(),
                _ => return Err(ActionError::Invalid),
            }
            return Ok(());
        }
        let v: f64 = value.trim().parse().map_err(|_| ActionError::Invalid)?;
        self.write_path(m.path, v)
    }

    /// Every field with its decoded value, as `.values.tsv` columns
    /// (`path type report_id offset size value`).
    pub fn explore(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let fields = self.descriptor.fields.clone();
        let mut cache: HashMap<(ReportType, u8), Option<Vec<u8>>> = HashMap::new();
        for f in fields {
            let key = (f.report_type, f.report_id);
            if f.report_type == ReportType::Output {
                continue;
            }
            let data = cache.entry(key).or_insert_with(|| self.read_report(key.0, key.1).ok()).clone();
            let value = data.and_then(|d| f.value(&d).ok()).map_or("?".to_string(), format_g);
            out.push(format!(
                "{}\t{}\t0x{:02x}\t{}\t{}\t{}",
                path_to_string(&f.path, self.tables),
                f.report_type.name(),
                f.report_id,
                f.offset,
                f.size,
                value
            ));
        }
        out
    }
}
