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
//! write. Each write is still answered only after its transaction has committed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::{Connection as _, SqliteConnection};
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
                // A task per batch: a write that panics ends its batch (its callers get an
                // error, and its transaction is rolled back), not the batching.
                let _ = tokio::spawn(answer(writer.clone(), std::mem::take(&mut queued))).await;
            }
        });
        Self { queue: tx, _thread: thread.clone() }
    }

    /// Runs `write` in the next transaction; its answer, once that has committed. Runs to its
    /// end even if the caller stops waiting.
    ///
    /// # Errors
    /// The write's; database errors; [`AppError::Internal`] if the batching task has stopped.
    pub(crate) async fn run(&self, write: BatchedWrite) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Queued { write, reply })
            .map_err(|_| AppError::Internal("the batched writes have stopped".into()))?;
        answer.await.map_err(|_| AppError::Internal("a batched write ended without an answer".into()))?
    }
}

/// Runs `batch` and answers each of its writes: together in one transaction, or, if one
/// failed, each in a transaction of its own.
async fn answer(writer: Connections, batch: Vec<Queued>) {
    match together(&writer, &batch).await {
        Ok(answers) => {
            for (q, answer) in batch.into_iter().zip(answers) {
                let _ = q.reply.send(answer);
            }
        }
        Err(_) => {
            for q in batch {
                let answer = alone(&writer, &q.write).await;
                let _ = q.reply.send(answer);
            }
        }
    }
}

/// Runs `batch` in one transaction: every write's answer, or the first failure (after which
/// nothing of the batch is written).
async fn together(writer: &Connections, batch: &[Queued]) -> Result<Vec<Answer>, AppError> {
    let mut conn = writer.get().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut answers = Vec::with_capacity(batch.len());
    for q in batch {
        answers.push((q.write)(&mut tx).await?);
    }
    tx.commit().await?;
    Ok(answers)
}

/// Runs `write` in a transaction of its own.
async fn alone(writer: &Connections, write: &BatchedWrite) -> Answer {
    let mut conn = writer.get().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    match write(&mut tx).await {
        Ok(Ok(())) => Ok(tx.commit().await?),
        // A refusal wrote nothing; a failure may have: either way, roll back (on drop).
        Ok(Err(e)) | Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::time::Duration;

    use sqlx::sqlite::SqliteConnectOptions;
    use tokio::time::timeout;

    use super::*;

    /// The writing connection of an in-memory database with a table `t (x UNIQUE)`, and the
    /// batches that write through it.
    async fn open() -> (Connections, Batches) {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap();
        let writer = Connections::open(&options, 1).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER UNIQUE)").execute(&mut *writer.get().await.unwrap()).await.unwrap();
        let batches = Batches::start(writer.clone(), &WriteThread::start().unwrap());
        (writer, batches)
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
    /// written.
    #[tokio::test]
    async fn a_failed_write_leaves_nothing_and_its_batch_goes_on() {
        let (writer, batches) = open().await;
        let held = writer.get().await.unwrap();
        let answers = tokio::spawn({
            let batches = batches.clone();
            async move {
                let (a, b, c) = tokio::join!(batches.run(insert(1)), batches.run(half(2)), batches.run(insert(3)));
                (a.is_ok(), b.map_err(|e| e.to_string()), c.is_ok())
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        let (a, b, c) = answers.await.unwrap();
        assert!(a && c, "the others are written");
        assert!(b.as_ref().is_err_and(|e| e.contains("second half")), "{b:?}");
        assert_eq!(rows(&writer).await, [1, 3]);
    }

    #[tokio::test]
    async fn a_write_runs_to_its_end_when_its_caller_stops_waiting() {
        let (writer, batches) = open().await;
        let held = writer.get().await.unwrap();
        assert!(timeout(Duration::from_millis(5), batches.run(insert(7))).await.is_err(), "the caller gave up");
        drop(held);
        timeout(Duration::from_secs(5), async {
            while rows(&writer).await.is_empty() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the write went on");
        assert_eq!(rows(&writer).await, [7]);
    }

    #[tokio::test]
    async fn a_write_that_panics_is_an_error_and_the_batches_go_on() {
        let (writer, batches) = open().await;
        let panics: BatchedWrite = Box::new(|_| Box::pin(async { panic!("a write that panics") }));
        let failed = batches.run(panics).await;
        assert!(matches!(failed, Err(AppError::Internal(_))), "{failed:?}");
        batches.run(insert(8)).await.unwrap();
        assert_eq!(rows(&writer).await, [8]);
    }
}
