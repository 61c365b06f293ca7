//! Start-up timing shared by the benchmarks of the programs that serve HTTP (`opp-handler --local`,
//! `opp-console --local`): the median time from starting the process to its first `200` answer to one GET.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Starts `make_command(port)` `starts` times and returns the median time until `GET path` (with the given
/// extra header lines, each ending in `\r\n`) is answered `200`.
pub async fn median_startup(
    name: &str,
    starts: usize,
    make_command: impl Fn(u16) -> tokio::process::Command,
    path: &str,
    headers: &str,
) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..starts.max(1) {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        let started = Instant::now();
        let mut child = make_command(port)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        loop {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(10),
                "{name} did not answer within 10 s"
            );
            if let Ok(mut connection) = tokio::net::TcpStream::connect(address).await {
                let request = format!(
                    "GET {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Connection: close\r\n\r\n"
                );
                connection.write_all(request.as_bytes()).await?;
                let mut answer = Vec::new();
                connection.read_to_end(&mut answer).await?;
                if answer.starts_with(b"HTTP/1.1 200") {
                    break;
                }
                anyhow::ensure!(
                    !answer.starts_with(b"HTTP/1.1 4") && !answer.starts_with(b"HTTP/1.1 5"),
                    "{name} answered: {}",
                    String::from_utf8_lossy(&answer[..answer.len().min(200)])
                );
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        times.push(started.elapsed());
        child.kill().await?;
    }
    times.sort();
    Ok(times[times.len() / 2])
}
