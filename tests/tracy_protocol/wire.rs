//! The Tracy client's TCP protocol, seen from the profiler's side
//! (`tracy/common/TracyProtocol.hpp`, protocol 82).
//!
//! The profiler sends `"TracyPrf"` and the protocol version; the client answers a
//! status byte, a packed `WelcomeMessage`, with the on-demand option an
//! `OnDemandPayloadMessage`, and from then on frames: a `u32` size and an LZ4 block
//! of at most 256 KiB of events, compressed as one stream (each block may refer to
//! the 64 KiB decoded before it). The profiler sends 13-byte `ServerQueryPacket`s.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub const PROTOCOL_VERSION: u32 = 82;
const SHIBBOLETH: &[u8; 8] = b"TracyPrf";
/// `sizeof( WelcomeMessage )`: 8 eight-byte fields, flags, cpu arch, the 12-byte
/// manufacturer, cpu id, 64 bytes of program name, 1024 of host info.
pub const WELCOME_MESSAGE_BYTES: usize = 8 * 8 + 1 + 1 + 12 + 4 + 64 + 1024;
/// `sizeof( OnDemandPayloadMessage )`: frames and current time.
pub const ON_DEMAND_PAYLOAD_BYTES: usize = 16;
/// `TargetFrameSize`: the most a frame decodes to.
pub const TARGET_FRAME_BYTES: usize = 256 * 1024;
/// How far back an LZ4 match may reach.
const LZ4_WINDOW_BYTES: usize = 64 * 1024;

/// `WelcomeFlag::OnDemand`.
pub const WELCOME_FLAG_ON_DEMAND: u8 = 1;

/// `ServerQuery` values the test sends.
pub mod query {
    pub const TERMINATE: u8 = 0;
    pub const STRING: u8 = 1;
    pub const PLOT_NAME: u8 = 4;
}

/// What the client said about itself.
#[derive(Debug, Clone)]
pub struct Welcome {
    pub flags: u8,
    /// Frames the client had marked before the connection (on-demand only).
    pub frames_before_connect: Option<u64>,
}

/// A connection to a Tracy client, handshake done.
pub struct Connection {
    stream: TcpStream,
    pub welcome: Welcome,
    /// The last [`LZ4_WINDOW_BYTES`] decoded: the stream's dictionary.
    history: Vec<u8>,
    compressed: Vec<u8>,
    decoded: Vec<u8>,
}

impl Connection {
    /// Connects to the client on `port` of this machine, retrying until `deadline`
    /// (the client may not listen yet), and does the handshake.
    pub fn open(port: u16, deadline: Instant) -> io::Result<Connection> {
        let addresses = [
            SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            SocketAddr::from((Ipv6Addr::LOCALHOST, port)),
        ];
        let mut stream = loop {
            let attempt = addresses.iter().find_map(|address| {
                let stream =
                    TcpStream::connect_timeout(address, Duration::from_millis(200)).ok()?;
                // With nobody listening yet, the kernel may pick the port itself as
                // the source port, and the socket connects to itself.
                let to_itself = stream.local_addr().ok() == stream.peer_addr().ok();
                (!to_itself).then_some(stream)
            });
            if let Some(stream) = attempt {
                break stream;
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no Tracy client listening on port {port}"),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;

        let mut hello = SHIBBOLETH.to_vec();
        hello.extend_from_slice(&PROTOCOL_VERSION.to_le_bytes());
        stream.write_all(&hello)?;

        let mut status = [0u8; 1];
        stream.read_exact(&mut status)?;
        if status[0] != 1 {
            let meaning = match status[0] {
                2 => "protocol mismatch",
                3 => "not available",
                4 => "dropped",
                _ => "unknown status",
            };
            return Err(io::Error::other(format!(
                "handshake refused: {} ({meaning})",
                status[0]
            )));
        }
        let mut welcome = vec![0u8; WELCOME_MESSAGE_BYTES];
        stream.read_exact(&mut welcome)?;
        let flags = welcome[64];
        let frames_before_connect = if flags & WELCOME_FLAG_ON_DEMAND != 0 {
            let mut payload = [0u8; ON_DEMAND_PAYLOAD_BYTES];
            stream.read_exact(&mut payload)?;
            Some(u64::from_le_bytes(
                payload[..8].try_into().expect("8 bytes"),
            ))
        } else {
            None
        };
        Ok(Connection {
            stream,
            welcome: Welcome {
                flags,
                frames_before_connect,
            },
            history: Vec::with_capacity(2 * LZ4_WINDOW_BYTES),
            compressed: Vec::new(),
            decoded: vec![0; TARGET_FRAME_BYTES],
        })
    }

    /// Appends the next frame's events, decoded, to `events`; `false` when the
    /// client closed the connection.
    pub fn read_frame(&mut self, events: &mut Vec<u8>) -> io::Result<bool> {
        let mut size = [0u8; 4];
        match self.stream.read_exact(&mut size) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(error) => return Err(error),
        }
        let size = u32::from_le_bytes(size) as usize;
        self.compressed.resize(size, 0);
        self.stream.read_exact(&mut self.compressed)?;
        let length = lz4_flex::block::decompress_into_with_dict(
            &self.compressed,
            &mut self.decoded,
            &self.history,
        )
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, format!("LZ4: {error}")))?;
        self.history.extend_from_slice(&self.decoded[..length]);
        if self.history.len() > LZ4_WINDOW_BYTES {
            let excess = self.history.len() - LZ4_WINDOW_BYTES;
            self.history.drain(..excess);
        }
        events.extend_from_slice(&self.decoded[..length]);
        Ok(true)
    }

    /// Sends a `ServerQueryPacket`.
    pub fn query(&mut self, kind: u8, pointer: u64, extra: u32) -> io::Result<()> {
        let mut packet = [0u8; 13];
        packet[0] = kind;
        packet[1..9].copy_from_slice(&pointer.to_le_bytes());
        packet[9..13].copy_from_slice(&extra.to_le_bytes());
        self.stream.write_all(&packet)
    }
}
