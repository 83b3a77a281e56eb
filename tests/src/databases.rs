//! Throwaway PostgreSQL and Redis servers for the fleet tests: the Debian packages' binaries, a
//! temporary directory, a free port on 127.0.0.1, stopped when dropped.
//!
//! Without the binaries a test is skipped with a line saying which package to install, unless
//! `SHOP_API_REQUIRE_SERVERS=1` (set by `.ci/run`), which makes a missing server a failure.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a missing server fails the test instead of skipping it.
pub fn required() -> bool {
    std::env::var("SHOP_API_REQUIRE_SERVERS").is_ok_and(|v| v == "1")
}

fn missing(what: &str, package: &str) {
    let msg = format!(
        "{what} not found: install the Debian package `{package}` (apt-get install {package}) to run this test"
    );
    assert!(!required(), "{msg} (SHOP_API_REQUIRE_SERVERS=1)");
    eprintln!("skipped: {msg}");
}

/// The first of `name` on PATH or in `dirs` (globs of one `*` segment allowed).
fn find(name: &str, dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut candidates: Vec<PathBuf> = std::env::split_paths(&path).collect();
    for d in dirs {
        match d.split_once('*') {
            Some((head, tail)) => {
                let mut found: Vec<PathBuf> = std::fs::read_dir(head)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path().join(tail.trim_start_matches('/')))
                    .collect();
                found.sort();
                found.reverse();
                candidates.extend(found);
            }
            None => candidates.push(PathBuf::from(d)),
        }
    }
    candidates
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

fn wait_for(what: &str, deadline: Duration, mut ready: impl FnMut() -> bool) {
    let until = Instant::now() + deadline;
    while !ready() {
        assert!(
            Instant::now() < until,
            "{what} did not start within {deadline:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL server of its own.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    as_postgres: bool,
    tls: bool,
}

impl Postgres {
    /// Start one, or `None` (said on stderr) when PostgreSQL is not installed.
    pub fn start() -> Option<Postgres> {
        Self::start_with(None)
    }

    /// Start one that also speaks TLS (`ssl=on`) with a certificate for `127.0.0.1` and
    /// `localhost` issued by `ca`.
    pub fn start_tls(ca: &TestCa) -> Option<Postgres> {
        Self::start_with(Some(ca))
    }

    fn start_with(ca: Option<&TestCa>) -> Option<Postgres> {
        let dirs = ["/usr/lib/postgresql/*/bin"];
        let (Some(initdb), Some(_)) = (find("initdb", &dirs), find("postgres", &dirs)) else {
            missing("PostgreSQL (initdb, postgres)", "postgresql");
            return None;
        };
        // The package's own folder (PATH may hold links to some of its tools only).
        let initdb = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        let bin = initdb.parent().expect("initdb has a folder").to_owned();
        let dir = tempfile::Builder::new()
            .prefix("shop-api-pg")
            .tempdir()
            .expect("a temporary directory");
        // PostgreSQL refuses to run as root: as root, it runs as the package's `postgres` user.
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown of the PostgreSQL directory to `postgres` failed");
        }
        let mut pg = Postgres {
            bin,
            dir,
            port: free_port(),
            child: None,
            as_postgres,
            tls: ca.is_some(),
        };
        if let Some(ca) = ca {
            ca.issue(pg.dir.path(), "server");
            if as_postgres {
                let ok = Command::new("chown")
                    .args(["postgres:"])
                    .arg(pg.dir.path().join("server.crt"))
                    .arg(pg.dir.path().join("server.key"))
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "chown of the server's certificate to `postgres` failed");
            }
        }
        let data = pg.data();
        let out = pg
            .command("initdb")
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.run();
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// Start the server (again, after [`Postgres::stop`]) on its port and data.
    pub fn run(&mut self) {
        let mut command = self.command("postgres");
        command
            .arg("-D")
            .arg(self.data())
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"]);
        if self.tls {
            let file = |name: &str| format!("{}", self.dir.path().join(name).display());
            command
                .args(["-c", "ssl=on", "-c"])
                .arg(format!("ssl_cert_file={}", file("server.crt")))
                .arg("-c")
                .arg(format!("ssl_key_file={}", file("server.key")));
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts");
        self.child = Some(child);
        let port = self.port.to_string();
        let isready = self.bin.join("pg_isready");
        wait_for("PostgreSQL", Duration::from_secs(60), || {
            Command::new(&isready)
                .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-q"])
                .status()
                .is_ok_and(|s| s.success())
        });
    }

    /// Stop the server (a fast shutdown); its data stays for [`Postgres::run`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A fast shutdown, as the server's own user.
            let _ = self
                .command("pg_ctl")
                .args(["stop", "-m", "fast", "-w", "-D"])
                .arg(self.data())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let until = Instant::now() + Duration::from_secs(30);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            wait_for("PostgreSQL to stop", Duration::from_secs(30), || {
                TcpStream::connect(("127.0.0.1", self.port)).is_err()
            });
        }
    }

    /// Its address: `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A connection string for `PostgresStore::connect`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The data directory's parent, for files of the test.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Redis server of its own.
pub struct Redis {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    bin: PathBuf,
    tls: bool,
}

impl Redis {
    /// Start one, or `None` (said on stderr) when Redis is not installed.
    pub fn start() -> Option<Redis> {
        Self::start_with(None)
    }

    /// Start one that speaks only TLS, with a certificate for `127.0.0.1` and `localhost`
    /// issued by `ca` ([`Redis::url`] is then `rediss://`).
    pub fn start_tls(ca: &TestCa) -> Option<Redis> {
        Self::start_with(Some(ca))
    }

    fn start_with(ca: Option<&TestCa>) -> Option<Redis> {
        let Some(bin) = find("redis-server", &["/usr/bin", "/usr/local/bin"]) else {
            missing("redis-server", "redis-server");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("shop-api-redis")
            .tempdir()
            .expect("a temporary directory");
        let mut r = Redis {
            dir,
            port: free_port(),
            child: None,
            bin,
            tls: ca.is_some(),
        };
        if let Some(ca) = ca {
            ca.issue(r.dir.path(), "server");
        }
        r.run();
        Some(r)
    }

    /// Start the server (again, after [`Redis::stop`]) on its port.
    pub fn run(&mut self) {
        let mut command = Command::new(&self.bin);
        if self.tls {
            let dir = self.dir.path();
            command
                .args(["--port", "0", "--tls-port", &self.port.to_string()])
                .arg("--tls-cert-file")
                .arg(dir.join("server.crt"))
                .arg("--tls-key-file")
                .arg(dir.join("server.key"))
                .arg("--tls-ca-cert-file")
                .arg(dir.join("ca.crt"))
                .args(["--tls-auth-clients", "no"]);
        } else {
            command.args(["--port", &self.port.to_string()]);
        }
        let child = command
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let port = self.port;
        if self.tls {
            wait_for("Redis", Duration::from_secs(30), || {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            });
        } else {
            wait_for("Redis", Duration::from_secs(30), || ping(port));
        }
    }

    /// Stop the server.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Its address: `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A URL for `RedisStore::connect` (`rediss://` when it speaks TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    let mut buf = [0u8; 16];
    s.write_all(b"PING\r\n").is_ok()
        && s.read(&mut buf)
            .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
}

/// A private certificate authority for the TLS tests, made with the `openssl` command: its
/// certificate, and server certificates for `127.0.0.1` and `localhost` that it issues.
pub struct TestCa {
    dir: tempfile::TempDir,
}

impl TestCa {
    /// A new CA, or `None` (said on stderr) when `openssl` is not installed.
    pub fn new() -> Option<TestCa> {
        if find("openssl", &["/usr/bin"]).is_none() {
            missing("openssl", "openssl");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("shop-api-ca")
            .tempdir()
            .expect("a temporary directory");
        openssl(
            dir.path(),
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=shop-api test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
            ],
        );
        Some(TestCa { dir })
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("ca.crt")).expect("the CA certificate")
    }

    /// Write `<name>.crt` and `<name>.key` (mode 0600) into `dir`: a server certificate for
    /// `127.0.0.1` and `localhost`, issued by this CA (whose certificate is copied there as
    /// `ca.crt`).
    pub fn issue(&self, dir: &Path, name: &str) {
        let ca = self.dir.path();
        std::fs::copy(ca.join("ca.crt"), dir.join("ca.crt")).expect("the CA certificate copied");
        let ext = dir.join(format!("{name}.ext"));
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("the extensions file");
        let key = dir.join(format!("{name}.key"));
        let csr = dir.join(format!("{name}.csr"));
        let crt = dir.join(format!("{name}.crt"));
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                &key.display().to_string(),
                "-out",
                &csr.display().to_string(),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr.display().to_string(),
                "-CA",
                &ca.join("ca.crt").display().to_string(),
                "-CAkey",
                &ca.join("ca.key").display().to_string(),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &ext.display().to_string(),
                "-out",
                &crt.display().to_string(),
            ],
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .expect("the key's mode");
        }
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A TCP proxy on 127.0.0.1 in front of a server, that can stop answering: while stalled it
/// accepts connections and takes bytes but passes nothing on in either direction, as a database
/// whose machine froze. Stops when dropped.
pub struct StallingProxy {
    port: u16,
    stalled: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl StallingProxy {
    /// A proxy to `upstream` (`host:port`), passing bytes on until [`StallingProxy::stall`].
    pub async fn start(upstream: String) -> StallingProxy {
        use std::sync::atomic::AtomicBool;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let stalled = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stalled.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let flag = flag.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let a = tokio::spawn(pass(cr, sw, flag.clone()));
                    let b = tokio::spawn(pass(sr, cw, flag));
                    let _ = tokio::join!(a, b);
                });
            }
        });
        StallingProxy {
            port,
            stalled,
            task,
        }
    }

    /// Its address: `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stop passing bytes on (connections stay open, answers never come).
    pub fn stall(&self) {
        self.stalled
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Pass bytes on again.
    pub fn resume(&self) {
        self.stalled
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for StallingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copy `from` to `to`, holding each chunk while `stalled`.
async fn pass(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while stalled.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
