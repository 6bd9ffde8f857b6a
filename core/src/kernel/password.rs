//! argon2id password hashing (OWASP: m=19456 KiB, t=2, p=1), always off the
//! async workers: one hash takes ~20 ms of CPU and 19 MiB of memory.
//!
//! Only a few hashes run at once (`Settings::max_concurrent_hashes`): a
//! burst of sign-ins, each a hash, would otherwise hold 19 MiB apiece until
//! the server ran out of memory. Callers beyond the bound wait in a short,
//! bounded line for a turn, and are otherwise asked to try again (429).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

/// How long a caller waits for a turn to hash before being turned away:
/// long enough for a real crowd (a shift signing in at once) to get
/// through; waiting costs no memory to speak of, and the line is bounded.
pub const HASH_WAIT: Duration = Duration::from_secs(10);
/// Callers that may wait for a turn, per hash that may run at once: more
/// would only be answered "busy" after waiting, so they are told at once.
const WAITING_PER_TURN: usize = 64;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Turns to hash: at most `turns` hashes at once, at most `max_waiting`
/// callers waiting, each for at most `wait`.
struct Gate {
    turns: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
}

/// Counts a caller in the line while it waits, however the wait ends
/// (a turn, a timeout, or the request going away).
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    fn new(turns: usize, max_waiting: usize, wait: Duration) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(turns.clamp(1, Semaphore::MAX_PERMITS))),
            waiting: AtomicUsize::new(0),
            max_waiting,
            wait,
        }
    }

    /// A turn to hash, held until the hash is done.
    async fn turn(&self) -> Result<OwnedSemaphorePermit, AppError> {
        if let Ok(turn) = self.turns.clone().try_acquire_owned() {
            return Ok(turn);
        }
        let ahead = self.waiting.fetch_add(1, Ordering::AcqRel);
        let in_line = InLine(&self.waiting);
        if ahead >= self.max_waiting {
            drop(in_line);
            tracing::warn!("password hashing busy: the waiting line is full");
            return Err(busy());
        }
        let waited = tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await;
        drop(in_line);
        match waited {
            Ok(Ok(turn)) => Ok(turn),
            // The semaphore is never closed.
            Ok(Err(_)) => Err(AppError::Internal),
            Err(_) => {
                tracing::warn!("password hashing busy: no turn within the wait");
                Err(busy())
            }
        }
    }
}

fn busy() -> AppError {
    AppError::TooManyRequests(
        "Skillmap is busy signing other people in. Wait a few seconds, then try again.".into(),
    )
}

static GATE: OnceLock<Gate> = OnceLock::new();

fn gate() -> &'static Gate {
    GATE.get_or_init(|| gate_for(super::Settings::default().max_concurrent_hashes))
}

fn gate_for(turns: usize) -> Gate {
    Gate::new(turns, turns.saturating_mul(WAITING_PER_TURN), HASH_WAIT)
}

/// Sets how many hashes may run at once, from the settings. Called once at
/// start-up (by `AppState::new`), before any hash; later calls change
/// nothing.
pub fn limit_concurrency(turns: usize) {
    let _ = GATE.set(gate_for(turns));
}

pub fn hash_password_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

/// Hashes a new password, when a turn comes (or answers "busy").
pub async fn hash_password(password: String) -> Result<String, AppError> {
    let turn = gate().turn().await?;
    // The turn goes with the hash: if the request goes away, the hash still
    // runs to its end on its thread, and holds its turn (its memory) until then.
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        hash_password_blocking(&password)
    })
    .await
    .map_err(|_| AppError::Internal)?
}

/// Checks a password against a stored hash, when a turn comes (or answers
/// "busy"). With no hash (unknown email) it checks against a throwaway
/// hash, so both cases take the same time.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, AppError> {
    let turn = gate().turn().await?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        verify_blocking(&password, stored)
    })
    .await
    .map_err(|_| AppError::Internal)
}

fn verify_blocking(password: &str, stored: Option<String>) -> bool {
    // Imported accounts have no password until the person sets one.
    let stored = stored.filter(|s| !s.is_empty());
    let known = stored.is_some();
    let phc = stored.unwrap_or_else(|| dummy_hash().to_string());
    let ok = PasswordHash::new(&phc)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    known && ok
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password_blocking("not a real password: timing equaliser")
            .expect("hashing a constant works")
    })
}

/// Computes the throwaway hash at start-up rather than on the first unknown
/// email, which would otherwise take twice as long as the others.
pub fn warm_up() {
    let _ = dummy_hash();
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("wrong horse battery".into(), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        assert!(
            !verify_password("not a real password: timing equaliser".into(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn salts_differ() {
        let a = hash_password("same password here".into()).await.unwrap();
        let b = hash_password("same password here".into()).await.unwrap();
        assert_ne!(a, b);
    }

    /// Beyond the bound a caller waits, briefly, then is told "busy"; a turn
    /// given back goes to the next.
    #[tokio::test]
    async fn hashing_beyond_the_bound_waits_briefly_then_is_busy() {
        let gate = Gate::new(1, 10, Duration::from_millis(200));
        let first = gate.turn().await.unwrap();
        let started = Instant::now();
        assert!(matches!(
            gate.turn().await,
            Err(AppError::TooManyRequests(_))
        ));
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0, "left the line");
        drop(first);
        assert!(gate.turn().await.is_ok(), "a turn given back is taken");
    }

    /// The line itself is bounded: once full, callers are told "busy" at
    /// once, and a waiting caller gets the next turn.
    #[tokio::test]
    async fn the_waiting_line_is_bounded() {
        let gate = Gate::new(1, 1, Duration::from_secs(30));
        let held = gate.turn().await.unwrap();
        let waiter = gate.turn();
        tokio::pin!(waiter);
        // It joins the line and waits there.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut waiter)
                .await
                .is_err()
        );
        assert_eq!(gate.waiting.load(Ordering::Acquire), 1);
        let started = Instant::now();
        assert!(matches!(
            gate.turn().await,
            Err(AppError::TooManyRequests(_))
        ));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not kept waiting"
        );
        drop(held);
        assert!(waiter.await.is_ok());
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
    }
}
