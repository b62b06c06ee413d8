//! A stand-in for the Tracy profiler: it reads a client's events, asks for the
//! strings it needs as the profiler does, and keeps what a memory test compares —
//! memory pools, frame marks, plots, messages — checking the pools as strictly as
//! the profiler: an allocation at a live address or a free of an address that is not
//! live is an error (the profiler stops on both).

use super::queue::QueueLayout;
use super::wire::{Connection, Welcome, query};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// A named memory pool (key 0: Tracy's unnamed default pool).
#[derive(Debug, Default, Clone)]
pub struct Pool {
    /// Live allocations: address → size.
    pub live: HashMap<u64, u64>,
    /// Sum of the live sizes.
    pub bytes: u64,
    pub allocations: u64,
    pub frees: u64,
    pub discards: u64,
    discards_since_mark: u64,
}

/// A pool as it was at a frame mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolAtMark {
    pub bytes: u64,
    pub live: usize,
    /// Discards of the pool since the previous frame mark.
    pub discards: u64,
}

/// Every pool at one mark of the main frame set.
#[derive(Debug, Clone, Default)]
pub struct FrameSnapshot {
    pub pools: BTreeMap<u64, PoolAtMark>,
}

/// What the client sent, until it terminated.
#[derive(Debug)]
pub struct Capture {
    pub welcome: Welcome,
    /// One snapshot per frame mark of the main (unnamed) frame set.
    pub frames: Vec<FrameSnapshot>,
    /// Pools by the address of their name.
    pub pools: BTreeMap<u64, Pool>,
    /// Strings the client sent in answer to `ServerQueryString`.
    pub strings: HashMap<u64, String>,
    /// Plot names the client sent in answer to `ServerQueryPlotName`.
    pub plot_names: HashMap<u64, String>,
    /// Plot values in order, by the address of the plot's name.
    pub plots: BTreeMap<u64, Vec<f64>>,
    /// Text of every message, in order.
    pub messages: Vec<String>,
    pub zones_begun: u64,
    pub zones_ended: u64,
    /// How many zones of each name began (zones whose source location the client
    /// sent with them, as tracing-tracy's are).
    pub zone_names: BTreeMap<String, u64>,
    /// The text attached to zones, as `(zone name, text)`, in order.
    pub zone_texts: Vec<(String, String)>,
    /// How many events of each type arrived.
    pub event_counts: BTreeMap<String, u64>,
    /// What the profiler would have stopped on, or silently dropped.
    pub errors: Vec<String>,
    pending_memory_name: Option<u64>,
    last_string: Option<String>,
    /// The name in the last `SourceLocationPayload`, for the zone that follows it.
    pending_zone_name: Option<String>,
    /// The name of the zone begun last, for a `ZoneText` that follows it.
    last_zone_name: Option<String>,
    asked: HashSet<(u8, u64)>,
    unanswered: usize,
    terminated: bool,
}

impl Capture {
    /// Connects to the client on `port`, reads until it terminates (answering its
    /// termination as the profiler does), and returns what it sent.
    pub fn record(port: u16, layout: &QueueLayout, deadline: Instant) -> Result<Capture, String> {
        let mut connection =
            Connection::open(port, deadline).map_err(|error| format!("connect: {error}"))?;
        let mut capture = Capture {
            welcome: connection.welcome.clone(),
            frames: Vec::new(),
            pools: BTreeMap::new(),
            strings: HashMap::new(),
            plot_names: HashMap::new(),
            plots: BTreeMap::new(),
            messages: Vec::new(),
            zones_begun: 0,
            zones_ended: 0,
            zone_names: BTreeMap::new(),
            zone_texts: Vec::new(),
            event_counts: BTreeMap::new(),
            errors: Vec::new(),
            pending_memory_name: None,
            last_string: None,
            pending_zone_name: None,
            last_zone_name: None,
            asked: HashSet::new(),
            unanswered: 0,
            terminated: false,
        };
        let mut events = Vec::new();
        let mut queries = Vec::new();
        loop {
            if Instant::now() > deadline {
                return Err(format!(
                    "timed out after {} frame marks (terminated: {})",
                    capture.frames.len(),
                    capture.terminated
                ));
            }
            if !connection
                .read_frame(&mut events)
                .map_err(|error| format!("read: {error}"))?
            {
                if capture.terminated {
                    break;
                }
                return Err(format!(
                    "the client closed the connection before terminating ({} frame marks)",
                    capture.frames.len()
                ));
            }
            let consumed = capture.process(&events, layout, &mut queries)?;
            events.drain(..consumed);
            for (kind, pointer) in queries.drain(..) {
                connection
                    .query(kind, pointer, 0)
                    .map_err(|error| format!("query: {error}"))?;
                capture.unanswered += 1;
            }
            if capture.terminated && capture.unanswered == 0 {
                connection
                    .query(query::TERMINATE, 0, 0)
                    .map_err(|error| format!("terminate: {error}"))?;
                break;
            }
        }
        if !events.is_empty() {
            capture
                .errors
                .push(format!("{} bytes of a partial event left", events.len()));
        }
        Ok(capture)
    }

    /// The pool whose name the client sent as `name`.
    pub fn pool_named(&self, name: &str) -> Option<u64> {
        self.pools
            .keys()
            .copied()
            .find(|pointer| self.strings.get(pointer).map(String::as_str) == Some(name))
    }

    /// The values of the plot called `name`, in order.
    pub fn plot_named(&self, name: &str) -> Option<&[f64]> {
        self.plots
            .iter()
            .find(|(pointer, _)| self.plot_names.get(pointer).map(String::as_str) == Some(name))
            .map(|(_, values)| values.as_slice())
    }

    /// Handles every complete event at the start of `buffer`; returns the bytes used.
    fn process(
        &mut self,
        buffer: &[u8],
        layout: &QueueLayout,
        queries: &mut Vec<(u8, u64)>,
    ) -> Result<usize, String> {
        let mut at = 0;
        while at < buffer.len() {
            let kind = buffer[at];
            let (Some(name), Some(size)) = (layout.name(kind), layout.size(kind)) else {
                return Err(format!("unknown event type {kind} at byte {at}"));
            };
            let rest = &buffer[at..];
            let length = match name {
                "SingleStringData" | "SecondStringData" => {
                    // The 16-bit length is stored less 256 (shorter strings use the
                    // 8-bit forms).
                    string_length(rest, size, 2).map(|(header, len)| header + len + 256)
                }
                "SingleStringData8" | "SecondStringData8" => {
                    string_length(rest, size, 1).map(|(h, len)| h + len)
                }
                "StringData"
                | "ThreadName"
                | "PlotName"
                | "FrameName"
                | "ExternalName"
                | "ExternalThreadName"
                | "FiberName"
                | "SourceLocationPayload"
                | "CallstackPayload"
                | "CallstackAllocPayload" => string_length(rest, size, 2).map(|(h, len)| h + len),
                "FrameImageData" | "SymbolCode" | "SourceCode" => {
                    string_length(rest, size, 4).map(|(h, len)| h + len)
                }
                _ => Some(size),
            };
            let Some(length) = length.filter(|&length| length <= rest.len()) else {
                break; // the rest of this event is in the next frame
            };
            self.handle(name, &rest[..length], size, queries)?;
            at += length;
        }
        Ok(at)
    }

    fn handle(
        &mut self,
        name: &str,
        event: &[u8],
        size: usize,
        queries: &mut Vec<(u8, u64)>,
    ) -> Result<(), String> {
        *self.event_counts.entry(name.to_owned()).or_default() += 1;
        let text = |prefix: usize| String::from_utf8_lossy(&event[size + prefix..]).into_owned();
        match name {
            "SingleStringData" => self.last_string = Some(text(2)),
            "SingleStringData8" => self.last_string = Some(text(1)),
            "StringData" => {
                self.strings.insert(u64_at(event, 1), text(2));
                self.unanswered = self.unanswered.saturating_sub(1);
            }
            "PlotName" => {
                self.plot_names.insert(u64_at(event, 1), text(2));
                self.unanswered = self.unanswered.saturating_sub(1);
            }
            "MemNamePayload" => self.pending_memory_name = Some(u64_at(event, 1)),
            // QueueMemAlloc: time i64, thread u32, ptr u64, size as 6 bytes.
            "MemAlloc" | "MemAllocCallstack" | "MemAllocNamed" | "MemAllocCallstackNamed" => {
                let pool = self.pool_of(name, queries)?;
                let address = u64_at(event, 13);
                let bytes = u64::from(u32_at(event, 21)) | (u64::from(u16_at(event, 25)) << 32);
                let entry = self.pools.entry(pool).or_default();
                if entry.live.insert(address, bytes).is_some() {
                    self.errors.push(format!(
                        "pool {pool:#x}: allocation at live address {address:#x}"
                    ));
                } else {
                    entry.bytes += bytes;
                }
                entry.allocations += 1;
            }
            // QueueMemFree: time i64, thread u32, ptr u64.
            "MemFree" | "MemFreeCallstack" | "MemFreeNamed" | "MemFreeCallstackNamed" => {
                let pool = self.pool_of(name, queries)?;
                let address = u64_at(event, 13);
                let entry = self.pools.entry(pool).or_default();
                match entry.live.remove(&address) {
                    Some(bytes) => entry.bytes -= bytes,
                    None => self.errors.push(format!(
                        "pool {pool:#x}: free of {address:#x}, which is not live"
                    )),
                }
                entry.frees += 1;
            }
            // QueueMemDiscard: time i64, thread u32, name u64.
            "MemDiscard" | "MemDiscardCallstack" => {
                let pool = u64_at(event, 13);
                match self.pools.get_mut(&pool) {
                    Some(entry) => {
                        entry.live.clear();
                        entry.bytes = 0;
                        entry.discards += 1;
                        entry.discards_since_mark += 1;
                    }
                    // The profiler ignores it (and its time).
                    None => self
                        .errors
                        .push(format!("discard of pool {pool:#x}, never allocated from")),
                }
            }
            // QueueFrameMark: time i64, name u64 (0: the main frame set).
            "FrameMarkMsg" if u64_at(event, 9) == 0 => {
                let mut snapshot = FrameSnapshot::default();
                for (&pointer, pool) in &mut self.pools {
                    snapshot.pools.insert(
                        pointer,
                        PoolAtMark {
                            bytes: pool.bytes,
                            live: pool.live.len(),
                            discards: pool.discards_since_mark,
                        },
                    );
                    pool.discards_since_mark = 0;
                }
                self.frames.push(snapshot);
            }
            // QueuePlotData*: name u64, time i64, value.
            "PlotDataInt" | "PlotDataFloat" | "PlotDataDouble" => {
                let plot = u64_at(event, 1);
                let value = match name {
                    "PlotDataInt" => {
                        i64::from_le_bytes(event[17..25].try_into().expect("8 bytes")) as f64
                    }
                    "PlotDataFloat" => f64::from(f32::from_le_bytes(
                        event[17..21].try_into().expect("4 bytes"),
                    )),
                    _ => f64::from_le_bytes(event[17..25].try_into().expect("8 bytes")),
                };
                self.plots.entry(plot).or_default().push(value);
                if self.asked.insert((query::PLOT_NAME, plot)) {
                    queries.push((query::PLOT_NAME, plot));
                }
            }
            "Message" | "MessageColor" | "MessageCallstack" | "MessageColorCallstack" => {
                let text = self
                    .last_string
                    .take()
                    .ok_or("a message without its text")?;
                self.messages.push(text);
            }
            // A zone's allocated source location: color u32, line u32, then
            // `function\0file\0name` (the name may be empty: the function names it).
            "SourceLocationPayload" => {
                let payload = event.get(size + 2 + 8..).unwrap_or_default();
                let mut parts = payload.split(|&byte| byte == 0);
                let function = parts.next().unwrap_or_default();
                let _file = parts.next();
                let name = parts
                    .next()
                    .filter(|name| !name.is_empty())
                    .unwrap_or(function);
                self.pending_zone_name = Some(String::from_utf8_lossy(name).into_owned());
            }
            "ZoneText" => {
                let text = self
                    .last_string
                    .take()
                    .ok_or("a zone text without its text")?;
                let zone = self.last_zone_name.clone().unwrap_or_default();
                self.zone_texts.push((zone, text));
            }
            "MessageAppInfo" => {
                self.last_string = None;
            }
            "Terminate" => self.terminated = true,
            "Crash" | "CrashReport" => self.errors.push("the client crashed".into()),
            _ if name.starts_with("ZoneBegin") => {
                self.zones_begun += 1;
                self.last_zone_name = self.pending_zone_name.take();
                if let Some(zone) = &self.last_zone_name {
                    *self.zone_names.entry(zone.clone()).or_default() += 1;
                }
            }
            _ if name.starts_with("ZoneEnd") => self.zones_ended += 1,
            _ => {}
        }
        Ok(())
    }

    /// The pool a memory event goes to: its name payload for named events, 0 for
    /// the unnamed ones. Asks for a new pool's name.
    fn pool_of(&mut self, event: &str, queries: &mut Vec<(u8, u64)>) -> Result<u64, String> {
        if !event.ends_with("Named") {
            return Ok(0);
        }
        let pool = self
            .pending_memory_name
            .take()
            .ok_or(format!("{event} without a MemNamePayload before it"))?;
        if self.asked.insert((query::STRING, pool)) {
            queries.push((query::STRING, pool));
        }
        Ok(pool)
    }
}

/// `(bytes before the text, text length)` of a string event whose fixed part is
/// `size` bytes and whose length field is `width` bytes, if that much has arrived.
fn string_length(event: &[u8], size: usize, width: usize) -> Option<(usize, usize)> {
    let field = event.get(size..size + width)?;
    let length = match width {
        1 => usize::from(field[0]),
        2 => usize::from(u16::from_le_bytes([field[0], field[1]])),
        _ => u32::from_le_bytes(field.try_into().expect("4 bytes")) as usize,
    };
    Some((size + width, length))
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().expect("2 bytes"))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}
