//! The HTTP endpoint Prometheus scrapes: a listener on a thread of its own answering `GET /metrics`, one connection at a time, each bounded in time so that a client that never sends or never reads holds up nothing but itself.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::exposition::{Exposition, CONTENT_TYPE};

/// The longest a connection may take, from accept to the last byte sent.
const CONNECTION_TIME: Duration = Duration::from_secs(2);

/// The most bytes of a request read (its request line and headers).
const MAX_REQUEST_BYTES: usize = 8192;

/// A listening socket, bound at startup (before privileges are dropped, so
/// that a port below 1024 can be used), not yet answering.
#[derive(Debug)]
pub struct Listener {
    listener: TcpListener,
    address: SocketAddr,
}

impl Listener {
    /// Binds `address`.
    ///
    /// # Errors
    /// Why not, naming the address.
    pub fn bind(address: SocketAddr) -> Result<Listener, String> {
        let listener = TcpListener::bind(address)
            .map_err(|e| format!("cannot listen for metrics on {address}: {e}"))?;
        let address = listener.local_addr().unwrap_or(address);
        Ok(Listener { listener, address })
    }

    /// The address bound (with the port the kernel chose for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Answers scrapes with `exposition` on a thread of its own until the
    /// returned endpoint is dropped.
    ///
    /// # Errors
    /// When the thread cannot start.
    pub fn serve(self, exposition: Exposition) -> Result<Endpoint, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let Listener { listener, address } = self;
        std::thread::Builder::new()
            .name("netraf-metrics".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if flag.load(Ordering::Acquire) {
                        break;
                    }
                    match stream {
                        Ok(stream) => answer(stream, &exposition),
                        // A connection that went before it was accepted, or
                        // no file descriptor left: the next one may do.
                        Err(e) => {
                            log::debug!("metrics: accept: {e}");
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                }
            })
            .map_err(|e| format!("cannot start the metrics thread: {e}"))?;
        log::info!("metrics on http://{address}/metrics");
        Ok(Endpoint { address, stop })
    }
}

/// The endpoint's thread, told to end when dropped. It is not waited for:
/// a client it is answering (2 s at most) never delays the end of the run.
#[derive(Debug)]
pub struct Endpoint {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept with a connection of our own, so that the thread
        // ends (or with the process, if that fails).
        let mut wake = self.address;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        drop(TcpStream::connect_timeout(
            &wake,
            Duration::from_millis(100),
        ));
    }
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    /// `GET /metrics` (`HEAD`: without the body).
    Metrics { head: bool },
    /// Another path.
    NotFound,
    /// Another method.
    NotAllowed,
    /// Not an HTTP request line.
    Bad,
}

/// Reads the request line of `head` (the bytes read so far).
fn parse(head: &[u8]) -> Request {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let Ok(line) = std::str::from_utf8(line) else {
        return Request::Bad;
    };
    let mut words = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Request::Bad;
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Request::Bad;
    }
    let head = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Request::NotAllowed,
    };
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    if path == "/metrics" {
        Request::Metrics { head }
    } else {
        Request::NotFound
    }
}

/// Reads the request head (to its blank line, the size limit, or the
/// deadline): the bytes read, or None when the time ran out first.
fn read_head(stream: &mut TcpStream, deadline: Instant) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok()?;
        let n = stream.read(&mut chunk).ok()?;
        head.extend_from_slice(chunk.get(..n)?);
        let ended =
            head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n");
        if n == 0 || ended || head.len() >= MAX_REQUEST_BYTES {
            return Some(head);
        }
    }
}

/// Answers one connection within [`CONNECTION_TIME`].
fn answer(mut stream: TcpStream, exposition: &Exposition) {
    let deadline = Instant::now() + CONNECTION_TIME;
    let Some(head) = read_head(&mut stream, deadline) else {
        return; // the client sent too little in time: nothing to answer
    };
    let (status, content_type, body, head_only) = match parse(&head) {
        Request::Metrics { head } => ("200 OK", CONTENT_TYPE, exposition.encode(), head),
        Request::NotFound => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found: the metrics are at /metrics\n".to_string(),
            false,
        ),
        Request::NotAllowed => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET and HEAD\n".to_string(),
            false,
        ),
        Request::Bad => (
            "400 Bad Request",
            "text/plain; charset=utf-8",
            "not an HTTP request\n".to_string(),
            false,
        ),
    };
    let mut response = format!(
        "HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        response.extend_from_slice(body.as_bytes());
    }
    let left = deadline
        .checked_duration_since(Instant::now())
        .unwrap_or_default()
        .max(Duration::from_millis(1));
    if stream.set_write_timeout(Some(left)).is_ok() {
        // A client that does not read gets what the socket buffer holds.
        if let Err(e) = stream.write_all(&response) {
            log::debug!("metrics: answering a scrape: {e}");
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::PluginMetrics;

    #[test]
    fn request_lines_are_read_strictly() {
        assert_eq!(
            parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Request::Metrics { head: false }
        );
        assert_eq!(
            parse(b"HEAD /metrics?x=1 HTTP/1.0\r\n\r\n"),
            Request::Metrics { head: true }
        );
        assert_eq!(parse(b"GET / HTTP/1.1\r\n\r\n"), Request::NotFound);
        assert_eq!(parse(b"GET /metricsx HTTP/1.1\r\n\r\n"), Request::NotFound);
        assert_eq!(
            parse(b"POST /metrics HTTP/1.1\r\n\r\n"),
            Request::NotAllowed
        );
        assert_eq!(parse(b"GET /metrics\r\n\r\n"), Request::Bad);
        assert_eq!(parse(b"\xff\xfe /metrics HTTP/1.1\r\n"), Request::Bad);
        assert_eq!(parse(b""), Request::Bad);
        assert_eq!(parse(b"GET metrics HTTP/1.1\r\n"), Request::Bad);
    }

    #[test]
    fn a_silent_client_holds_up_only_its_own_connection() {
        let live = Arc::new(super::super::LiveCounters::new(1));
        live.worker(0).set_totals(9, 90);
        let listener = Listener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = listener.address();
        let endpoint = listener
            .serve(Exposition::new(live, PluginMetrics::global()))
            .unwrap();
        let _silent = TcpStream::connect(address).unwrap();
        let started = Instant::now();
        let get = |path: &str| {
            let mut s = TcpStream::connect(address).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            write!(s, "GET {path} HTTP/1.0\r\n\r\n").unwrap();
            let mut text = String::new();
            s.read_to_string(&mut text).unwrap();
            text
        };
        let text = get("/metrics");
        assert!(text.starts_with("HTTP/1.0 200 OK\r\n"), "{text}");
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.contains("netraf_packets_received_total{worker=\"0\"} 9\n"));
        assert!(started.elapsed() < CONNECTION_TIME + Duration::from_secs(2));
        assert!(get("/other").starts_with("HTTP/1.0 404 Not Found\r\n"));
        drop(endpoint);
    }

    #[test]
    fn an_address_in_use_is_named() {
        let taken = Listener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let e = Listener::bind(taken.address()).unwrap_err();
        assert!(e.contains(&taken.address().to_string()), "{e}");
    }
}
