//! Claims on event ids: the [`Claims`] trait, its in-memory [`Deduplicator`] and [`handle_once`].

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::Result;
use crate::token::BoxFuture;

/// What a [claim](Claims::claim) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The id is this caller's now: handle the event, then mark it [done](Claims::done), or
    /// [release](Claims::release) it when handling fails.
    Mine,
    /// Another copy holds an unexpired claim: it is being handled right now (here or on another
    /// receiver). Handle nothing and answer with an error status, so the platform sends the event
    /// again later, when it is done, or when the claim lapsed because its holder died.
    Busy,
    /// The event was handled already: handle nothing and answer with success.
    Done,
}

impl Claim {
    /// Whether the caller holds the claim ([`Claim::Mine`]).
    pub fn is_mine(self) -> bool {
        self == Claim::Mine
    }
}

/// Where the receivers of a fleet claim each event before handling it, so that of all the copies
/// a platform sends of one event (at once or later, to one receiver or several) one is handled.
///
/// Implemented in memory for one process ([`Deduplicator`]), on Redis (`RedisClaims`, feature
/// `redis`) and on PostgreSQL (`PostgresClaims`, feature `postgres`). A store that cannot be
/// reached is an error ([`crate::Error::Store`]), never a guess: answer the platform with a 5xx
/// and handle nothing, and it sends the event again. [`handle_once`] puts the calls together.
///
/// Ids are the platform's event ids, best namespaced by the receiver (`tiktok:<app key>:<id>`)
/// when one store serves several platforms or apps.
pub trait Claims: Send + Sync + 'static {
    /// What the store is, for errors and logs (`Redis 127.0.0.1:6379 (webhook claims ...)`);
    /// never a password.
    fn describe(&self) -> String;

    /// Claim `id` for `hold` unless it is claimed (unexpired) or done: atomically, so that of
    /// callers racing for one id exactly one gets [`Claim::Mine`]. `hold` bounds how long a
    /// holder that dies mid-handling keeps the other copies off; make it longer than handling
    /// takes, since a claim that lapsed mid-handling can be taken by another copy.
    fn claim<'a>(&'a self, id: &'a str, hold: Duration) -> BoxFuture<'a, Result<Claim>>;

    /// Forget this holder's claim of `id`, whose handling failed, so that the platform's next
    /// copy is handled. A claim another holder took since, or an id marked done, stays.
    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>>;

    /// Record `id` as handled for `keep`: copies arriving within it are [`Claim::Done`].
    fn done<'a>(&'a self, id: &'a str, keep: Duration) -> BoxFuture<'a, Result<()>>;
}

impl fmt::Debug for dyn Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// What [`handle_once`] did with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T, E> {
    /// This caller claimed the event and handled it; the id is marked done.
    Handled(T),
    /// This caller claimed the event and the handler failed with this error; the claim was
    /// released, so the platform's next copy is handled. Answer with a 5xx.
    Failed(E),
    /// Another copy is being handled now; nothing was handled. Answer with a 5xx so the platform
    /// sends it again later.
    Busy,
    /// The event was handled already; nothing was handled. Answer with success.
    AlreadyDone,
}

impl<T, E> Outcome<T, E> {
    /// Whether the platform should be answered with success (the event is handled, now or
    /// before); otherwise answer with a 5xx so that it sends the event again.
    pub fn acknowledge(&self) -> bool {
        matches!(self, Outcome::Handled(_) | Outcome::AlreadyDone)
    }
}

/// Handle the event `id` once among everyone sharing `claims`: claim it for `hold`, run `handle`
/// only when the claim is this caller's, then mark the id done for `keep` or, when `handle`
/// fails, release it.
///
/// An error is the claim store's, before anything was handled: answer the platform with a 5xx.
/// A store that fails after `handle` ran does not change the outcome (it is logged): a release
/// that failed lapses after `hold`, and a done mark that failed leaves the claim, which lapses
/// after `hold` too (a copy arriving later than that is handled again).
pub async fn handle_once<C, T, E, F, Fut>(
    claims: &C,
    id: &str,
    hold: Duration,
    keep: Duration,
    handle: F,
) -> Result<Outcome<T, E>>
where
    C: Claims + ?Sized,
    F: FnOnce() -> Fut,
    Fut: Future<Output = std::result::Result<T, E>>,
{
    match claims.claim(id, hold).await? {
        Claim::Busy => return Ok(Outcome::Busy),
        Claim::Done => return Ok(Outcome::AlreadyDone),
        Claim::Mine => {}
    }
    match handle().await {
        Ok(value) => {
            if let Err(e) = claims.done(id, keep).await {
                tracing::warn!(
                    event = id,
                    error = %e,
                    "a handled webhook event could not be marked done: its claim lapses after its hold"
                );
            }
            Ok(Outcome::Handled(value))
        }
        Err(error) => {
            if let Err(e) = claims.release(id).await {
                tracing::warn!(
                    event = id,
                    error = %e,
                    "the claim of a webhook event whose handling failed could not be released: it lapses after its hold"
                );
            }
            Ok(Outcome::Failed(error))
        }
    }
}

/// Claims in the memory of one process, on at most `capacity` ids (the oldest is forgotten when
/// full): enough for one receiver, not for several processes sharing the work (use
/// `RedisClaims` or `PostgresClaims`).
///
/// Implements [`Claims`]; [`Deduplicator::first_seen`] is the older, synchronous way (claim and
/// mark done in one step), kept for receivers that record an id and handle it at once.
#[derive(Debug)]
pub struct Deduplicator {
    seen: Mutex<Seen>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Seen {
    entries: HashMap<String, Entry>,
    /// Ids oldest first, each with the generation of its entry (a stale pair is skipped).
    order: VecDeque<(u64, String)>,
    next: u64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    generation: u64,
    /// When the claim or the record lapses; `None`: kept until forgotten for room.
    until: Option<Instant>,
    done: bool,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.until.is_none_or(|u| u > now)
    }
}

impl Seen {
    /// Insert (or replace) `id`, forgetting the oldest ids while there are `capacity` or more.
    fn put(&mut self, id: &str, until: Option<Instant>, done: bool, capacity: usize) {
        self.entries.remove(id);
        while self.entries.len() >= capacity {
            let Some((generation, old)) = self.order.pop_front() else {
                break;
            };
            if self
                .entries
                .get(&old)
                .is_some_and(|e| e.generation == generation)
            {
                self.entries.remove(&old);
            }
        }
        if self.order.len() > 2 * capacity + 16 {
            let entries = &self.entries;
            self.order
                .retain(|(g, id)| entries.get(id).is_some_and(|e| e.generation == *g));
        }
        let generation = self.next;
        self.next += 1;
        self.entries.insert(
            id.to_owned(),
            Entry {
                generation,
                until,
                done,
            },
        );
        self.order.push_back((generation, id.to_owned()));
    }
}

fn deadline(after: Duration) -> Option<Instant> {
    Instant::now().checked_add(after)
}

impl Deduplicator {
    /// Remember up to `capacity` ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        Deduplicator {
            seen: Mutex::new(Seen::default()),
            capacity: capacity.max(1),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `id` is new; it is remembered as done from now on (until forgotten for room).
    ///
    /// Atomic within the process: of two copies checked at once, one is new. Call it before
    /// handling, and [`forget`](Self::forget) the id when handling fails so the platform's next
    /// copy is handled; or use the [`Claims`] methods, which tell a copy being handled from one
    /// handled already.
    pub fn first_seen(&self, id: &str) -> bool {
        let mut seen = self.seen();
        if seen.entries.get(id).is_some_and(|e| e.live(Instant::now())) {
            return false;
        }
        seen.put(id, None, true, self.capacity);
        true
    }

    /// Whether `id` is claimed or done (unexpired), without remembering it.
    pub fn contains(&self, id: &str) -> bool {
        self.seen()
            .entries
            .get(id)
            .is_some_and(|e| e.live(Instant::now()))
    }

    /// Forget `id`, claimed or done; whether it was remembered.
    pub fn forget(&self, id: &str) -> bool {
        self.seen().entries.remove(id).is_some()
    }

    fn try_claim(&self, id: &str, hold: Duration) -> Claim {
        let mut seen = self.seen();
        match seen.entries.get(id) {
            Some(e) if e.live(Instant::now()) && e.done => Claim::Done,
            Some(e) if e.live(Instant::now()) => Claim::Busy,
            _ => {
                seen.put(id, deadline(hold), false, self.capacity);
                Claim::Mine
            }
        }
    }

    fn release_claim(&self, id: &str) {
        let mut seen = self.seen();
        if seen.entries.get(id).is_some_and(|e| !e.done) {
            seen.entries.remove(id);
        }
    }

    fn mark_done(&self, id: &str, keep: Duration) {
        let mut seen = self.seen();
        let until = deadline(keep);
        match seen.entries.get_mut(id) {
            Some(e) => {
                e.until = until;
                e.done = true;
            }
            None => seen.put(id, until, true, self.capacity),
        }
    }
}

impl Claims for Deduplicator {
    fn describe(&self) -> String {
        format!("webhook claims in memory ({} ids at most)", self.capacity)
    }

    fn claim<'a>(&'a self, id: &'a str, hold: Duration) -> BoxFuture<'a, Result<Claim>> {
        let claim = self.try_claim(id, hold);
        Box::pin(async move { Ok(claim) })
    }

    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        self.release_claim(id);
        Box::pin(async { Ok(()) })
    }

    fn done<'a>(&'a self, id: &'a str, keep: Duration) -> BoxFuture<'a, Result<()>> {
        self.mark_done(id, keep);
        Box::pin(async { Ok(()) })
    }
}

/// A name for this process's claims: the process id, the time and a counter, so that two stores
/// (in one process or two) never hold a claim under the same name.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(super) fn holder_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        crate::token::unix_millis(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_forgets_the_oldest() {
        let d = Deduplicator::new(2);
        assert!(d.first_seen("a") && d.first_seen("b"));
        assert!(!d.first_seen("a") && d.contains("b"));
        assert!(d.first_seen("c"));
        assert!(!d.contains("a"));
        assert!(d.first_seen("a"));
        assert!(d.forget("a") && !d.contains("a") && !d.forget("a"));
    }

    #[tokio::test]
    async fn a_claim_is_busy_then_done_and_a_released_one_is_taken_again() {
        let d = Deduplicator::new(10);
        let hold = Duration::from_secs(60);
        assert_eq!(d.claim("e", hold).await.unwrap(), Claim::Mine);
        assert_eq!(d.claim("e", hold).await.unwrap(), Claim::Busy);
        assert!(!d.first_seen("e"), "a claimed id is not new");
        d.release("e").await.unwrap();
        assert_eq!(d.claim("e", hold).await.unwrap(), Claim::Mine);
        d.done("e", hold).await.unwrap();
        assert_eq!(d.claim("e", hold).await.unwrap(), Claim::Done);
        d.release("e").await.unwrap();
        assert_eq!(
            d.claim("e", hold).await.unwrap(),
            Claim::Done,
            "a release does not undo a done mark"
        );
    }

    #[tokio::test]
    async fn an_expired_claim_or_record_is_taken_again() {
        let d = Deduplicator::new(10);
        let short = Duration::from_millis(30);
        assert!(d.claim("e", short).await.unwrap().is_mine());
        assert!(d.contains("e"));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!d.contains("e"));
        assert!(d.claim("e", short).await.unwrap().is_mine());
        d.done("e", short).await.unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(d.claim("e", short).await.unwrap().is_mine());
    }

    #[test]
    fn reclaiming_one_id_over_and_over_keeps_memory_bounded() {
        let d = Deduplicator::new(3);
        for _ in 0..1000 {
            d.forget("x");
            assert!(d.first_seen("x"));
        }
        let seen = d.seen();
        assert_eq!(seen.entries.len(), 1);
        assert!(seen.order.len() <= 2 * 3 + 17, "{}", seen.order.len());
    }

    #[tokio::test]
    async fn handle_once_marks_done_or_releases() {
        let d = Deduplicator::new(10);
        let hold = Duration::from_secs(60);
        let failed: Outcome<(), &str> = handle_once(&d, "e", hold, hold, || async { Err("down") })
            .await
            .unwrap();
        assert_eq!(failed, Outcome::Failed("down"));
        assert!(!failed.acknowledge());
        assert!(!d.contains("e"), "a failed event's claim is released");
        let handled: Outcome<u8, &str> = handle_once(&d, "e", hold, hold, || async { Ok(7) })
            .await
            .unwrap();
        assert_eq!(handled, Outcome::Handled(7));
        let again: Outcome<u8, &str> =
            handle_once(&d, "e", hold, hold, || async { panic!("handled twice") })
                .await
                .unwrap();
        assert_eq!(again, Outcome::AlreadyDone);
        assert!(again.acknowledge());
        assert!(d.claim("f", hold).await.unwrap().is_mine());
        let busy: Outcome<u8, &str> =
            handle_once(&d, "f", hold, hold, || async { panic!("handled twice") })
                .await
                .unwrap();
        assert_eq!(busy, Outcome::Busy);
    }
}
