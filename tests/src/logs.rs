//! Log capture for tests that search the log output (for a secret, a span field).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything logged on this thread, at every level, while it lives.
pub struct Captured {
    sink: Sink,
    _guard: tracing::subscriber::DefaultGuard,
    // With a single scoped subscriber, tracing-core computes the interest of a callsite first hit
    // by another test's thread from that thread's (absent) subscriber and caches "never"; a second
    // live dispatcher makes it ask every registered one.
    _second: tracing::Dispatch,
}

/// Capture the logs of this thread (a `#[tokio::test]` runs its tasks on it) until the returned
/// value is dropped.
pub fn capture() -> Captured {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    let _guard = tracing::subscriber::set_default(subscriber);
    Captured {
        sink,
        _guard,
        _second,
    }
}

impl Captured {
    /// The log output so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.sink.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
