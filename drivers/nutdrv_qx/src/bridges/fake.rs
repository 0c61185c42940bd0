//! A scripted USB device for the bridge tests: it records every call and
//! answers from queues the test fills.

use super::{EndpointDesc, InterfaceLayout, UsbControl, UsbError};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    ControlOut { rt: u8, req: u8, value: u16, index: u16, data: Vec<u8>, timeout_ms: u128 },
    ControlIn { rt: u8, req: u8, value: u16, index: u16, len: usize },
    InterruptIn { ep: u8, len: usize, timeout_ms: u128 },
    InterruptOut { ep: u8, data: Vec<u8> },
    ClearHalt(u8),
    String { index: u8, langid: u16, len: usize },
    Pause(u128),
}

#[derive(Default)]
pub struct Fake {
    pub calls: Vec<Call>,
    /// Answers to interrupt IN transfers, in order; empty queue = timeout.
    pub interrupts: VecDeque<Result<Vec<u8>, UsbError>>,
    /// Answers to (non-descriptor) control IN transfers.
    pub control_ins: VecDeque<Result<Vec<u8>, UsbError>>,
    /// Results of control OUT transfers; empty queue = all bytes accepted.
    pub control_outs: VecDeque<Result<usize, UsbError>>,
    /// Raw string descriptors per index: a queue; the last entry stays.
    pub strings: HashMap<u8, VecDeque<Result<Vec<u8>, UsbError>>>,
    pub layout: Option<InterfaceLayout>,
}

/// A string descriptor as a device sends it (bLength, 3, UTF-16LE).
pub fn desc(text: &str) -> Vec<u8> {
    let mut d = vec![0, 3];
    for u in text.encode_utf16() {
        d.extend_from_slice(&u.to_le_bytes());
    }
    d[0] = d.len() as u8;
    d
}

/// The language list descriptor (index 0) with one language.
pub fn langs(langid: u16) -> Vec<u8> {
    let l = langid.to_le_bytes();
    vec![4, 3, l[0], l[1]]
}

impl Fake {
    pub fn new() -> Fake {
        Fake::default()
    }

    /// Serve string `index` (repeatedly) with `text`.
    pub fn string(&mut self, index: u8, text: &str) -> &mut Self {
        self.strings.entry(index).or_default().push_back(Ok(desc(text)));
        self
    }

    pub fn string_raw(&mut self, index: u8, raw: Result<Vec<u8>, UsbError>) -> &mut Self {
        self.strings.entry(index).or_default().push_back(raw);
        self
    }

    pub fn interrupt(&mut self, data: &[u8]) -> &mut Self {
        self.interrupts.push_back(Ok(data.to_vec()));
        self
    }

    /// Queue `answer` as 8-byte interrupt reports, the last one zero padded.
    pub fn interrupt_chunks(&mut self, answer: &[u8], size: usize) -> &mut Self {
        for c in answer.chunks(size) {
            let mut v = c.to_vec();
            v.resize(size, 0);
            self.interrupts.push_back(Ok(v));
        }
        self
    }

    pub fn control_outs(&self) -> Vec<Vec<u8>> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                Call::ControlOut { data, .. } => Some(data.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn string_indexes(&self) -> Vec<(u8, u16)> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                Call::String { index, langid, .. } => Some((*index, *langid)),
                _ => None,
            })
            .collect()
    }

    pub fn interface(in_ep: u8, out_ep: u8, attr: u8, max: u16) -> InterfaceLayout {
        InterfaceLayout {
            interfaces: 1,
            altsettings: 1,
            endpoints: vec![
                EndpointDesc { address: in_ep, attributes: attr, max_packet_size: max },
                EndpointDesc { address: out_ep, attributes: attr, max_packet_size: max },
            ],
        }
    }
}

impl UsbControl for Fake {
    fn control_out(
        &mut self,
        rt: u8,
        req: u8,
        value: u16,
        index: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.calls.push(Call::ControlOut {
            rt,
            req,
            value,
            index,
            data: data.to_vec(),
            timeout_ms: timeout.as_millis(),
        });
        self.control_outs.pop_front().unwrap_or(Ok(data.len()))
    }

    fn control_in(
        &mut self,
        rt: u8,
        req: u8,
        value: u16,
        index: u16,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        self.calls.push(Call::ControlIn { rt, req, value, index, len });
        self.control_ins.pop_front().unwrap_or(Err(UsbError::Timeout)).map(|mut v| {
            v.truncate(len);
            v
        })
    }

    fn interrupt_in(&mut self, ep: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        self.calls.push(Call::InterruptIn { ep, len, timeout_ms: timeout.as_millis() });
        self.interrupts.pop_front().unwrap_or(Err(UsbError::Timeout)).map(|mut v| {
            v.truncate(len);
            v
        })
    }

    fn interrupt_out(&mut self, ep: u8, data: &[u8], _timeout: Duration) -> Result<usize, UsbError> {
        self.calls.push(Call::InterruptOut { ep, data: data.to_vec() });
        Ok(data.len())
    }

    fn clear_halt(&mut self, ep: u8) -> Result<(), UsbError> {
        self.calls.push(Call::ClearHalt(ep));
        Ok(())
    }

    fn string_descriptor(&mut self, index: u8, langid: u16, len: usize) -> Result<Vec<u8>, UsbError> {
        self.calls.push(Call::String { index, langid, len });
        if index == 0 && !self.strings.contains_key(&0) {
            let mut l = langs(0x0409);
            l.truncate(len);
            return Ok(l);
        }
        let q = match self.strings.get_mut(&index) {
            Some(q) => q,
            None => return Err(UsbError::Pipe),
        };
        let r = if q.len() > 1 {
            q.pop_front().unwrap_or(Err(UsbError::Pipe))
        } else {
            q.front().cloned().unwrap_or(Err(UsbError::Pipe))
        };
        r.map(|mut v| {
            v.truncate(len);
            v
        })
    }

    fn interface_layout(&mut self) -> Option<InterfaceLayout> {
        self.layout.clone()
    }

    fn pause(&mut self, d: Duration) {
        self.calls.push(Call::Pause(d.as_millis()));
    }
}
