//! A thread of its own for the writes every request makes.
//!
//! Writes are serial (one writing connection), so the time between one write transaction's
//! statements is time no other request can write. On the server's runtime, a task waiting
//! for its statement's result is queued behind every other request's work before it sends
//! the next one; under load that wait was most of a booking's write. Here, the writing task
//! is alone on its thread: it is polled as soon as the connection answers.
//!
//! The two writes nearly every request makes, a new booking and the access-log leaves of a
//! read, also share transactions ([`Batches`]): the writes that queue while one transaction
//! runs go into the next one together. A commit writes every page the transaction changed,
//! so one commit for many writes writes each shared page (the log's last leaf, the ends of
//! the indexes) once, and their `BEGIN` and `COMMIT` are one round trip each, not one per
//! write. Each write is still answered only after its transaction has committed. A write
//! that fails (or panics) costs the others of its batch nothing but a second try, each in a
//! transaction of its own; a transaction that cannot begin or commit fails its whole batch
//! at once. The rate-limit counts (`store/requests.rs`) are written from this thread too.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::SqliteConnection;
use tokio::runtime::{Builder, Handle};
use tokio::sync::{mpsc, oneshot};

use super::connections::Connections;
use crate::error::AppError;

/// Runs futures on the write thread; the thread ends when the last clone is dropped.
#[derive(Clone, Debug)]
pub(crate) struct WriteThread {
    handle: Handle,
    // Its drop, with the last clone's, ends the thread.
    _alive: Arc<mpsc::Sender<()>>,
}

impl WriteThread {
    /// Starts the thread and its runtime.
    ///
    /// # Errors
    /// If the runtime or the thread cannot be created.
    pub(crate) fn start() -> std::io::Result<Self> {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (alive, mut gone) = mpsc::channel::<()>(1);
        std::thread::Builder::new().name("bizing-writes".into()).spawn(move || {
            // Runs the spawned futures until every clone is dropped.
            runtime.block_on(gone.recv());
        })?;
        Ok(Self { handle, _alive: Arc::new(alive) })
    }

    /// Spawns `task` on the thread.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.handle.spawn(task));
    }
}

/// A write of a batch: run inside the batch's transaction, and maybe run again, alone, if
/// another write of its batch failed.
///
/// `Ok(answer)` leaves the transaction as fit to commit as it found it (having written all of
/// itself, or nothing: a refusal such as `slot-taken` is an `Ok(Err(..))`); the answer is
/// given once the transaction has committed. `Err` means it may have written part of itself:
/// the batch is rolled back and each of its writes is run again in a transaction of its own,
/// where that error is this write's answer.
pub(crate) type BatchedWrite = Box<
    dyn for<'c> Fn(&'c mut SqliteConnection) -> Pin<Box<dyn Future<Output = Result<Answer, AppError>> + Send + 'c>>
        + Send
        + Sync,
>;

/// What a batched write answers its caller.
pub(crate) type Answer = Result<(), AppError>;

/// Most writes in one transaction.
const MAX_BATCH: usize = 64;

struct Queued {
    write: BatchedWrite,
    reply: oneshot::Sender<Answer>,
}

/// Where batched writes are queued; the batching task runs on the write thread, which lives
/// as long as this does.
#[derive(Clone, Debug)]
pub(crate) struct Batches {
    queue: mpsc::UnboundedSender<Queued>,
    _thread: WriteThread,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued").finish_non_exhaustive()
    }
}

impl Batches {
    /// Starts the batching task on `thread`, writing through `writer`; it ends when the last
    /// [`Batches`] is dropped.
    pub(crate) fn start(writer: Connections, thread: &WriteThread) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Queued>();
        thread.spawn(async move {
            let mut queued = Vec::new();
            while rx.recv_many(&mut queued, MAX_BATCH).await > 0 {
                // A task per batch: should anything here panic that `caught` does not catch, it
                // ends that batch (its callers get an error, its transaction is rolled back),
                // not the batching.
                let _ = tokio::spawn(answer(writer.clone(), std::mem::take(&mut queued))).await;
            }
        });
        Self { queue: tx, _thread: thread.clone() }
    }

    /// Runs `write` in the next transaction; its answer, once that has committed. A write
    /// whose batch has begun runs to its end even if the caller stops waiting; one whose
    /// caller stopped waiting before that is not run.
    ///
    /// # Errors
    /// The write's; database errors; [`AppError::Internal`] if it panicked or the batching
    /// task has stopped.
    pub(crate) async fn run(&self, write: BatchedWrite) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Queued { write, reply })
            .map_err(|_| AppError::Internal("the batched writes have stopped".into()))?;
        answer.await.map_err(|_| AppError::Internal("a batched write ended without an answer".into()))?
    }
}

/// Runs `batch` and answers each of its writes: together in one transaction, or, if a write
/// failed, each in a transaction of its own. If the transaction itself could not begin or
/// commit, every write gets that error: running them one by one would only wait for the
/// same lock again, once per write. A write whose caller has stopped waiting before it ran
/// is not run, as a cancelled request's write was not before there were batches.
async fn answer(writer: Connections, batch: Vec<Queued>) {
    let batch: Vec<Queued> = batch.into_iter().filter(|q| !q.reply.is_closed()).collect();
    if batch.is_empty() {
        return;
    }
    match together(&writer, &batch).await {
        Ok(answers) => {
            for (q, answer) in batch.into_iter().zip(answers) {
                let _ = q.reply.send(answer);
            }
        }
        Err(Failed::Write) => {
            for q in batch.into_iter().filter(|q| !q.reply.is_closed()) {
                let answer = alone(&writer, &q.write).await;
                let _ = q.reply.send(answer);
            }
        }
        Err(Failed::Transaction(e)) => {
            let message = match e {
                AppError::Internal(message) => message,
                other => other.to_string(),
            };
            for q in batch {
                let _ = q.reply.send(Err(AppError::Internal(message.clone())));
            }
        }
    }
}

/// Why a batch was not committed (nothing of it was written).
enum Failed {
    /// A write failed (or panicked).
    Write,
    /// No connection, or `BEGIN` or `COMMIT` failed.
    Transaction(AppError),
}

/// Runs `batch` in one transaction: every write's answer, or why nothing was written.
async fn together(writer: &Connections, batch: &[Queued]) -> Result<Vec<Answer>, Failed> {
    let mut conn = writer.get().await.map_err(|e| Failed::Transaction(e.into()))?;
    let mut tx = conn.begin_immediate().await.map_err(|e| Failed::Transaction(e.into()))?;
    let mut answers = Vec::with_capacity(batch.len());
    for q in batch {
        match caught((q.write)(&mut tx)).await {
            Ok(Ok(answer)) => answers.push(answer),
            // The transaction is rolled back when dropped.
            Ok(Err(_)) | Err(Panicked) => return Err(Failed::Write),
        }
    }
    let committed = tx.commit().await;
    conn.check(committed).map_err(|e| Failed::Transaction(e.into()))?;
    Ok(answers)
}

/// Runs `write` in a transaction of its own.
async fn alone(writer: &Connections, write: &BatchedWrite) -> Answer {
    let mut conn = writer.get().await?;
    let mut tx = conn.begin_immediate().await?;
    match caught(write(&mut tx)).await {
        Ok(Ok(Ok(()))) => {
            let committed = tx.commit().await;
            Ok(conn.check(committed)?)
        }
        // A refusal wrote nothing; a failure may have: either way, roll back (on drop).
        Ok(Ok(Err(e)) | Err(e)) => Err(e),
        Err(Panicked) => Err(AppError::Internal("a write panicked".into())),
    }
}

/// A write that panicked.
struct Panicked;

/// `write`'s output, or [`Panicked`] if it panicked: the panic ends that write, not the
/// batch it is in.
async fn caught<T>(mut write: Pin<Box<dyn Future<Output = T> + Send + '_>>) -> Result<T, Panicked> {
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(Err(Panicked)),
        }
    })
    .await
}
#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use sqlx::sqlite::SqliteConnectOptions;
    use tokio::sync::Notify;
    use tokio::time::timeout;

    use super::*;

    /// Batches writing through one connection to the database of `options`, with a table
    /// `t (x UNIQUE)`; and the connection.
    async fn open_with(options: &SqliteConnectOptions) -> (Connections, Batches) {
        let writer = Connections::open(options, 1).await.unwrap();
        sqlx::query("CREATE TABLE IF NOT EXISTS t (x INTEGER UNIQUE)")
            .execute(&mut *writer.get().await.unwrap())
            .await
            .unwrap();
        let batches = Batches::start(writer.clone(), &WriteThread::start().unwrap());
        (writer, batches)
    }

    async fn open() -> (Connections, Batches) {
        open_with(&SqliteConnectOptions::from_str("sqlite::memory:").unwrap()).await
    }

    /// Inserts `x`; refuses (writing nothing) if it is there already.
    fn insert(x: i64) -> BatchedWrite {
        Box::new(move |conn| {
            Box::pin(async move {
                let done =
                    sqlx::query("INSERT INTO t (x) VALUES (?) ON CONFLICT DO NOTHING").bind(x).execute(conn).await?;
                Ok(if done.rows_affected() == 1 { Ok(()) } else { Err(AppError::bad_request("taken", "taken")) })
            })
        })
    }

    /// Inserts `x`, then fails: half a write.
    fn half(x: i64) -> BatchedWrite {
        Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (x) VALUES (?)").bind(x).execute(conn).await?;
                Err(AppError::Internal("the second half failed".into()))
            })
        })
    }

    /// A caller of a write that inserts `x` once told to, once the write has started; and
    /// what tells it to go on.
    async fn started(batches: &Batches, x: i64) -> (tokio::task::JoinHandle<Answer>, Arc<Notify>) {
        let (started, go) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let write: BatchedWrite = Box::new({
            let (started, go) = (Arc::clone(&started), Arc::clone(&go));
            move |conn| {
                let (started, go) = (Arc::clone(&started), Arc::clone(&go));
                Box::pin(async move {
                    started.notify_one();
                    go.notified().await;
                    sqlx::query("INSERT INTO t (x) VALUES (?)").bind(x).execute(conn).await?;
                    Ok(Ok(()))
                })
            }
        });
        let caller = tokio::spawn({
            let batches = batches.clone();
            async move { batches.run(write).await }
        });
        started.notified().await;
        (caller, go)
    }

    async fn rows(writer: &Connections) -> Vec<i64> {
        sqlx::query_scalar("SELECT x FROM t ORDER BY x").fetch_all(&mut *writer.get().await.unwrap()).await.unwrap()
    }

    /// Writes queued together share a transaction; a refusal among them writes nothing and
    /// does not hold the others back.
    #[tokio::test]
    async fn writes_queued_together_are_answered_each() {
        let (writer, batches) = open().await;
        // Hold the connection so that the writes queue up, then let them go.
        let held = writer.get().await.unwrap();
        let answers = tokio::spawn({
            let batches = batches.clone();
            async move {
                let (a, b, c, d) = tokio::join!(
                    batches.run(insert(1)),
                    batches.run(insert(2)),
                    batches.run(insert(1)),
                    batches.run(insert(3))
                );
                [a, b, c, d].map(|answer| answer.map_err(|e| e.to_string()))
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        let answers = answers.await.unwrap();
        assert!(answers[0].is_ok() && answers[1].is_ok() && answers[3].is_ok(), "{answers:?}");
        assert!(answers[2].is_err(), "the second 1 is refused: {answers:?}");
        assert_eq!(rows(&writer).await, [1, 2, 3]);
    }

    /// A write that fails half way leaves none of itself, and the rest of its batch is still
    /// written; so does a write that panics.
    #[tokio::test]
    async fn a_failed_or_panicking_write_leaves_nothing_and_its_batch_goes_on() {
        let (writer, batches) = open().await;
        let held = writer.get().await.unwrap();
        let answers = tokio::spawn({
            let batches = batches.clone();
            async move {
                let panics: BatchedWrite = Box::new(|_| Box::pin(async { panic!("a write that panics") }));
                let (a, b, c, d) = tokio::join!(
                    batches.run(insert(1)),
                    batches.run(half(2)),
                    batches.run(panics),
                    batches.run(insert(3))
                );
                (a.is_ok(), b.map_err(|e| e.to_string()), c.map_err(|e| e.to_string()), d.is_ok())
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        let (a, b, c, d) = answers.await.unwrap();
        assert!(a && d, "the others are written");
        assert!(b.as_ref().is_err_and(|e| e.contains("second half")), "{b:?}");
        assert!(c.as_ref().is_err_and(|e| e.contains("panicked")), "{c:?}");
        assert_eq!(rows(&writer).await, [1, 3]);
        batches.run(insert(4)).await.unwrap();
        assert_eq!(rows(&writer).await, [1, 3, 4]);
    }

    /// A write that has started runs to its end even if its caller stops waiting.
    #[tokio::test]
    async fn a_started_write_runs_to_its_end_when_its_caller_stops_waiting() {
        let (writer, batches) = open().await;
        let (caller, go) = started(&batches, 7).await;
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());
        go.notify_one();
        // Queued after it, so answered after it committed.
        batches.run(insert(8)).await.unwrap();
        assert_eq!(rows(&writer).await, [7, 8]);
    }

    /// A write whose caller stopped waiting before its batch began is not run, as a
    /// cancelled request's write was not.
    #[tokio::test]
    async fn a_write_whose_caller_left_before_its_batch_is_not_run() {
        let (writer, batches) = open().await;
        let (first, go) = started(&batches, 1).await;
        // Queued (its first poll sends it) while the first batch runs; then given up.
        let mut left = Box::pin(batches.run(insert(2)));
        assert!(timeout(Duration::from_millis(1), &mut left).await.is_err());
        drop(left);
        go.notify_one();
        first.await.unwrap().unwrap();
        batches.run(insert(3)).await.unwrap();
        assert_eq!(rows(&writer).await, [1, 3]);
    }

    /// When the transaction itself cannot begin (another process holds the database's write
    /// lock past the busy timeout), every write of the batch is answered with that error and
    /// none is written; the batching goes on once the lock is free.
    #[tokio::test]
    async fn a_transaction_that_cannot_begin_fails_its_batch() {
        let mut raw = [0u8; 8];
        getrandom::fill(&mut raw).unwrap();
        let name: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("bizing-write-thread-{name}.db"));
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_millis(50));
        let (writer, batches) = open_with(&options).await;
        let mut other = sqlx::ConnectOptions::connect(&options).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let counted = |x: i64| -> BatchedWrite {
            let ran = Arc::clone(&ran);
            Box::new(move |conn| {
                ran.fetch_add(1, Ordering::SeqCst);
                insert(x)(conn)
            })
        };
        let (a, b) = tokio::join!(batches.run(counted(1)), batches.run(counted(2)));
        assert!(a.is_err() && b.is_err(), "{a:?} {b:?}");
        assert_eq!(ran.load(Ordering::SeqCst), 0, "no write ran without a transaction");
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        batches.run(insert(3)).await.unwrap();
        assert_eq!(rows(&writer).await, [3]);
        drop((other, batches, writer));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
