//! Plays back a recorded device: `port = <recording>.hex` plus the files beside it with the
//! same stem (`.reports.txt`, `.values.tsv`, optional `.strings.txt` and `.interrupts.txt`).
//! GET_REPORT answers what was recorded, short or long reports as they were; a report recorded
//! as `STALL` (or not recorded at all) is refused as a device refuses it; the interrupt
//! reports come back on the recorded schedule (counted from the first interrupt read). Faults
//! can be injected to test recovery: disconnects, stalls, short reads and garbage.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nut_hid::{recording, ReportType};

use super::{DeviceInfo, Transport, TransportError};

/// A fault the replayed device shows on the next request(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The device is unplugged until `Plug` (every request and reconnect fails with `Gone`).
    Unplug,
    /// The device is back.
    Plug,
    /// The next request times out.
    Stall,
    /// The next report is one byte short.
    ShortRead,
    /// The next report has the wrong report id and random-looking bytes.
    Garbage,
}

/// Shared handle to inject faults while the driver runs.
#[derive(Debug, Clone, Default)]
pub struct FaultInjector(Arc<Mutex<FaultState>>);

#[derive(Debug, Default)]
struct FaultState {
    unplugged: bool,
    queue: VecDeque<Fault>,
    reconnects: u32,
    events: VecDeque<Vec<u8>>,
    changed: Vec<(ReportType, u8, Vec<u8>)>,
    interrupt_reads: u32,
    report_reads: u32,
}

impl FaultInjector {
    /// Queue a fault (Unplug/Plug take effect at once).
    pub fn inject(&self, f: Fault) {
        let Ok(mut s) = self.0.lock() else { return };
        match f {
            Fault::Unplug => s.unplugged = true,
            Fault::Plug => s.unplugged = false,
            other => s.queue.push_back(other),
        }
    }

    /// Queue an interrupt-in report (first byte = report id when the device uses ids), as the
    /// UPS sends when its state changes.
    pub fn push_event(&self, report: Vec<u8>) {
        if let Ok(mut s) = self.0.lock() {
            s.events.push_back(report);
        }
    }

    /// Change what the device answers to GET_REPORT for `(rt, id)` from now on (the whole
    /// report, first byte = report id when ids are used).
    pub fn set_report(&self, rt: ReportType, id: u8, report: Vec<u8>) {
        if let Ok(mut s) = self.0.lock() {
            s.changed.push((rt, id, report));
        }
    }

    /// How many times the interrupt pipe was read.
    pub fn interrupt_reads(&self) -> u32 {
        self.0.lock().map(|s| s.interrupt_reads).unwrap_or(0)
    }

    /// How many GET_REPORT requests were answered.
    pub fn report_reads(&self) -> u32 {
        self.0.lock().map(|s| s.report_reads).unwrap_or(0)
    }

    /// How many successful reconnects happened.
    pub fn reconnects(&self) -> u32 {
        self.0.lock().map(|s| s.reconnects).unwrap_or(0)
    }
}

/// Why a recording could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A file could not be read.
    #[error("can't read recording {path}: {err}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        err: std::io::Error,
    },
    /// A file is malformed.
    #[error("{path}:{err}")]
    Format {
        /// The file.
        path: PathBuf,
        /// Line and message.
        err: recording::RecordingError,
    },
    /// The file name does not start with `vvvv-pppp-`.
    #[error("{0}: recording names start with the USB ids, as in 0463-ffff-eaton-3s-700.hex")]
    Name(PathBuf),
}

/// The replayed device.
#[derive(Debug)]
pub struct Replay {
    descriptor: Vec<u8>,
    reports: HashMap<(ReportType, u8), Vec<u8>>,
    stalls: HashSet<(ReportType, u8)>,
    strings: HashMap<u8, String>,
    info: DeviceInfo,
    faults: FaultInjector,
    /// Recorded interrupt reports, due at (milliseconds after the first interrupt read).
    timed: VecDeque<(u64, Vec<u8>)>,
    started: Option<Instant>,
    interrupt_size: Option<usize>,
}

fn read(path: &Path) -> Result<String, ReplayError> {
    std::fs::read_to_string(path).map_err(|err| ReplayError::Read { path: path.to_path_buf(), err })
}

impl Replay {
    /// Load `<stem>.hex` and its companions.
    pub fn open(hex: &Path) -> Result<Replay, ReplayError> {
        let descriptor = recording::parse_hex(&read(hex)?)
            .map_err(|err| ReplayError::Format { path: hex.to_path_buf(), err })?;
        let name = hex.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let vid = name.get(0..4).and_then(|s| u16::from_str_radix(s, 16).ok());
        let pid = name.get(5..9).and_then(|s| u16::from_str_radix(s, 16).ok());
        let (Some(vendor_id), Some(product_id)) = (vid, pid) else {
            return Err(ReplayError::Name(hex.to_path_buf()));
        };
        let stem = hex.with_extension("");
        let companion = |ext: &str| PathBuf::from(format!("{}.{ext}", stem.display()));
        let mut reports = HashMap::new();
        // Complete raw reports first; the decoded log fills in what they lack. The first
        // occurrence wins: logs re-read reports after state changes (going on battery).
        // Report bytes are checked against the descriptor when it parses (when it does not,
        // opening the UPS reports that).
        let parsed = nut_hid::parse(&descriptor).ok();
        // Short and long reports are served as recorded: the driver must cope with them.
        let frame = |path: &Path, rt, id, bytes: &[u8], line| match &parsed {
            Some(d) => recording::check_framing(d, rt, id, bytes, line)
                .map(|_| ())
                .map_err(|err| ReplayError::Format { path: path.to_path_buf(), err }),
            None => Ok(()),
        };
        let mut stalls = HashSet::new();
        let rpt = companion("reports.txt");
        if rpt.exists() {
            let list = recording::parse_reports_txt_lines(&read(&rpt)?)
                .map_err(|err| ReplayError::Format { path: rpt.clone(), err })?;
            for r in list {
                if r.stall {
                    if !reports.contains_key(&(r.report_type, r.id)) {
                        stalls.insert((r.report_type, r.id));
                    }
                    continue;
                }
                frame(&rpt, r.report_type, r.id, &r.bytes, r.line)?;
                reports.entry((r.report_type, r.id)).or_insert(r.bytes);
            }
        }
        let tsv = companion("values.tsv");
        if tsv.exists() {
            let rows = recording::parse_values_tsv(&read(&tsv)?)
                .map_err(|err| ReplayError::Format { path: tsv.clone(), err })?;
            for r in rows {
                frame(&tsv, r.report_type, r.report_id, &r.report_bytes, r.line)?;
                if !stalls.contains(&(r.report_type, r.report_id)) {
                    reports.entry((r.report_type, r.report_id)).or_insert(r.report_bytes);
                }
            }
        }
        let mut timed = VecDeque::new();
        let ints = companion("interrupts.txt");
        if ints.exists() {
            let list = recording::parse_interrupts_txt(&read(&ints)?)
                .map_err(|err| ReplayError::Format { path: ints.clone(), err })?;
            timed.extend(list.into_iter().map(|l| (l.at_ms, l.bytes)));
        }
        let mut info = DeviceInfo {
            vendor_id,
            product_id,
            bus: "001".into(),
            device: "001".into(),
            ..DeviceInfo::default()
        };
        let mut strings = HashMap::new();
        let st = companion("strings.txt");
        if st.exists() {
            let parsed = recording::parse_strings_txt(&read(&st)?)
                .map_err(|err| ReplayError::Format { path: st, err })?;
            info.vendor = parsed.manufacturer;
            info.product = parsed.product;
            info.serial = parsed.serial;
            strings.extend(parsed.by_index);
        }
        Ok(Replay {
            descriptor,
            reports,
            stalls,
            strings,
            info,
            faults: FaultInjector::default(),
            timed,
            started: None,
            interrupt_size: None,
        })
    }

    /// The handle to inject faults.
    pub fn faults(&self) -> FaultInjector {
        self.faults.clone()
    }

    fn check(&mut self) -> Result<Option<Fault>, TransportError> {
        let Ok(mut s) = self.faults.0.lock() else { return Ok(None) };
        if s.unplugged {
            return Err(TransportError::Gone);
        }
        for (rt, id, bytes) in std::mem::take(&mut s.changed) {
            self.reports.insert((rt, id), bytes);
        }
        Ok(s.queue.pop_front())
    }
}

impl Transport for Replay {
    fn info(&self) -> DeviceInfo {
        self.info.clone()
    }

    fn descriptor(&mut self) -> Result<Vec<u8>, TransportError> {
        match self.check()? {
            Some(Fault::Stall) => Err(TransportError::Timeout),
            Some(Fault::ShortRead) => Ok(self.descriptor[..self.descriptor.len() / 2].to_vec()),
            _ => Ok(self.descriptor.clone()),
        }
    }

    fn get_report(&mut self, rt: ReportType, id: u8, len: usize) -> Result<Vec<u8>, TransportError> {
        let fault = self.check()?;
        if let Ok(mut s) = self.faults.0.lock() {
            s.report_reads += 1;
        }
        if self.stalls.contains(&(rt, id)) {
            return Err(TransportError::NotSupported);
        }
        // A device answers an Input GET_REPORT with the same bytes as the Feature report of
        // that id on the units recorded here; the logs often only have one of them.
        let bytes = self
            .reports
            .get(&(rt, id))
            .or_else(|| self.reports.get(&(ReportType::Feature, id)))
            .or_else(|| self.reports.get(&(ReportType::Input, id)))
            .cloned()
            .ok_or(TransportError::NotSupported)?;
        match fault {
            Some(Fault::Stall) => Err(TransportError::Timeout),
            Some(Fault::ShortRead) => Ok(bytes[..bytes.len().saturating_sub(1).min(len)].to_vec()),
            Some(Fault::Garbage) => Ok(bytes.iter().map(|b| b ^ 0x5a).collect()),
            _ => Ok(bytes),
        }
    }

    fn set_report(&mut self, rt: ReportType, id: u8, data: &[u8]) -> Result<(), TransportError> {
        self.check()?;
        self.reports.insert((rt, id), data.to_vec());
        if rt == ReportType::Output {
            self.reports.insert((ReportType::Feature, id), data.to_vec());
        }
        Ok(())
    }

    fn interrupt(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        // Queued faults are meant for the control pipe; the interrupt pipe only notices an
        // unplugged device (tests push garbage events with `push_event`).
        if self.faults.0.lock().is_ok_and(|s| s.unplugged) {
            return Err(TransportError::Gone);
        }
        let event = match self.faults.0.lock() {
            Ok(mut s) => {
                s.interrupt_reads += 1;
                s.events.pop_front()
            }
            Err(_) => None,
        };
        let cut = |r: Vec<u8>| match self.interrupt_size {
            Some(n) if n > 0 && r.len() > n => r[..n].to_vec(),
            _ => r,
        };
        if let Some(e) = event {
            return Ok(Some(cut(e)));
        }
        // The recorded traffic, on its schedule.
        let t0 = *self.started.get_or_insert_with(Instant::now);
        if let Some(&(at, _)) = self.timed.front() {
            let due = t0 + Duration::from_millis(at);
            let now = Instant::now();
            if due <= now + timeout {
                std::thread::sleep(due.saturating_duration_since(now));
                return Ok(self.timed.pop_front().map(|(_, r)| cut(r)));
            }
        }
        // Nothing due: behave like an idle interrupt pipe (briefly, tests run fast).
        std::thread::sleep(timeout.min(Duration::from_millis(5)));
        Ok(None)
    }

    fn string(&mut self, index: u8) -> Result<String, TransportError> {
        self.check()?;
        self.strings.get(&index).cloned().ok_or(TransportError::NotSupported)
    }

    fn set_interrupt_size(&mut self, size: Option<usize>) {
        self.interrupt_size = size;
    }

    fn reconnect(&mut self) -> Result<(), TransportError> {
        let Ok(mut s) = self.faults.0.lock() else { return Err(TransportError::Gone) };
        if s.unplugged {
            return Err(TransportError::Gone);
        }
        s.queue.clear();
        s.reconnects += 1;
        Ok(())
    }
}
