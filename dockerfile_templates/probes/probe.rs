// Health probe of the Rust images, built with the same toolchain (std only, no crates).
// It asks the container's own non-loopback IPv4 address, the one clients reach (an app listening
// on 127.0.0.1 only fails), read from the kernel's table of local addresses (std lists no interfaces).
// probe 8080 /health 400: exit 0 when the HTTP status of the answer is below 400 (no redirect followed).
// probe 8080: exit 0 when a TCP connection opens.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::exit;
use std::time::Duration;

fn own_address() -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/fib_trie").ok()?;
    let mut last = "";
    for line in table.lines() {
        let line = line.trim();
        if let Some(address) = line.strip_prefix("|-- ") {
            last = address;
        } else if line.starts_with("/32 host LOCAL") && !last.starts_with("127.") {
            return Some(last.to_string());
        }
    }
    None
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or_else(|| exit(1));
    let host = own_address().unwrap_or_else(|| exit(1));
    let address: SocketAddr = format!("{}:{}", host, port).parse().unwrap_or_else(|_| exit(1));
    let timeout = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&address, timeout).unwrap_or_else(|_| exit(1));
    if args.len() < 4 {
        return;
    }
    let max: u16 = args[3].parse().unwrap_or_else(|_| exit(1));
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    let request = format!("GET {} HTTP/1.0\r\nHost: {}\r\nConnection: close\r\n\r\n", args[2], address);
    let mut head = [0u8; 12];
    if stream.write_all(request.as_bytes()).is_err() || stream.read_exact(&mut head).is_err() {
        exit(1);
    }
    let status: u16 = String::from_utf8_lossy(&head[9..]).parse().unwrap_or(999);
    exit(if status < max { 0 } else { 1 });
}
