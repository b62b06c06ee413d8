//! Enough of the Tracy profiler to check what a client sends: the event layout read
//! from the client's headers ([`queue`]), the connection and its LZ4 stream
//! ([`wire`]), and a capture that keeps pools, frames, plots and messages
//! ([`capture`]).

pub mod capture;
pub mod queue;
pub mod wire;
