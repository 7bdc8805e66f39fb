// Health probe of the Rust images, built with the same toolchain (std only, no crates).
// probe http://127.0.0.1:8080/health: exit 0 when the HTTP status of the answer is below 400.
// probe 127.0.0.1:8080: exit 0 when a TCP connection opens.
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::exit;
use std::time::Duration;

fn main() {
    let target = std::env::args().nth(1).unwrap_or_default();
    let (host, path) = match target.strip_prefix("http://") {
        Some(rest) => match rest.find("/") {
            Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
            None => (rest.to_string(), "/".to_string()),
        },
        None => (target.clone(), String::new()),
    };
    let timeout = Duration::from_secs(3);
    let address = match host.to_socket_addrs().ok().and_then(|mut all| all.next()) {
        Some(address) => address,
        None => exit(1),
    };
    let mut stream = match TcpStream::connect_timeout(&address, timeout) {
        Ok(stream) => stream,
        Err(_) => exit(1),
    };
    if path.is_empty() {
        return;
    }
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    let request = format!("GET {} HTTP/1.0\r\nHost: {}\r\nConnection: close\r\n\r\n", path, host);
    let mut head = [0u8; 12];
    if stream.write_all(request.as_bytes()).is_err() || stream.read_exact(&mut head).is_err() {
        exit(1);
    }
    let status: u16 = String::from_utf8_lossy(&head[9..]).parse().unwrap_or(999);
    exit(if status < 400 { 0 } else { 1 });
}
