//! A fixed set of SQLite connections, handed out one request at a time.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement is a round
//! trip to that thread. Its pool adds one more round trip whenever a connection goes back to
//! it (a ping, from a task spawned for the purpose), which doubled the thread switches of a
//! request made of single-statement reads. This set hands out the same connections without
//! the ping: a statement a cancelled request left running is finished, or a transaction it
//! left open rolled back, by the connection's own thread before it takes the next command
//! (sqlx queues the rollback when a `Transaction` is dropped), so the next user of the
//! connection starts clean. Connections are lent in the order they came back, so one still
//! finishing a cancelled statement is lent last.
//!
//! What the ping also did was notice a connection whose thread had stopped (which sqlx does
//! only on a failure of its own, such as a rollback that failed). A user that gets
//! [`sqlx::Error::WorkerCrashed`] says so with [`Lease::check`], and the connection is opened
//! anew before it is lent again; the write paths that hold a connection across statements
//! (the batched writes, the rate-limit counts) do.

use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection as _, SqliteConnection};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long [`Connections::get`] waits for a free connection before it gives up (sqlx's
/// pool's default): a request is answered with an error rather than left waiting.
const WAIT: Duration = Duration::from_secs(30);

/// `count` connections opened with the same options.
#[derive(Clone)]
pub(crate) struct Connections(Arc<Inner>);

struct Inner {
    /// The connections not in use, first returned first; `None` for one to open anew. As
    /// many as `permits` has.
    idle: Mutex<VecDeque<Option<SqliteConnection>>>,
    permits: Semaphore,
    options: SqliteConnectOptions,
    count: usize,
}

impl fmt::Debug for Connections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connections").field("count", &self.0.count).finish_non_exhaustive()
    }
}

impl Connections {
    /// Opens `count` connections.
    ///
    /// # Errors
    /// If one cannot be opened.
    pub(crate) async fn open(options: &SqliteConnectOptions, count: usize) -> Result<Self, sqlx::Error> {
        let mut idle = VecDeque::with_capacity(count);
        for _ in 0..count {
            idle.push_back(Some(options.connect().await?));
        }
        Ok(Self(Arc::new(Inner {
            idle: Mutex::new(idle),
            permits: Semaphore::new(count),
            options: options.clone(),
            count,
        })))
    }

    /// A connection, once one is free (first come, first served).
    ///
    /// # Errors
    /// [`sqlx::Error::PoolTimedOut`] after 30 s without a free connection; an error opening
    /// anew a connection whose thread had stopped.
    pub(crate) async fn get(&self) -> Result<Lease<'_>, sqlx::Error> {
        let permit = tokio::time::timeout(WAIT, self.0.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        // A permit is one idle connection: the pop cannot come back empty.
        let slot =
            self.0.idle.lock().unwrap_or_else(PoisonError::into_inner).pop_front().ok_or(sqlx::Error::PoolClosed)?;
        let conn = match slot {
            Some(conn) => conn,
            None => match self.0.options.connect().await {
                Ok(conn) => conn,
                Err(e) => {
                    self.0.idle.lock().unwrap_or_else(PoisonError::into_inner).push_back(None);
                    return Err(e);
                }
            },
        };
        Ok(Lease { conn: Some(conn), crashed: false, inner: &self.0, _permit: permit })
    }
}

/// A connection of a [`Connections`], lent, returned to it when dropped.
pub(crate) struct Lease<'a> {
    conn: Option<SqliteConnection>,
    /// Its thread has stopped: open another in its place.
    crashed: bool,
    inner: &'a Inner,
    // Dropped after `drop` has put the connection back.
    _permit: SemaphorePermit<'a>,
}

impl Lease<'_> {
    /// `result`, noting whether it says the connection's thread has stopped.
    pub(crate) fn check<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        self.crashed |= matches!(result, Err(sqlx::Error::WorkerCrashed));
        result
    }

    /// A `BEGIN IMMEDIATE` transaction, noting whether the connection's thread has stopped.
    ///
    /// # Errors
    /// Database errors.
    pub(crate) async fn begin_immediate(&mut self) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>, sqlx::Error> {
        let conn = self.conn.as_mut().unwrap_or_else(|| unreachable!("taken only on drop"));
        match conn.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => Ok(tx),
            Err(e) => {
                self.crashed |= matches!(e, sqlx::Error::WorkerCrashed);
                Err(e)
            }
        }
    }
}

impl Deref for Lease<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.conn.as_ref().unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let conn = self.conn.take().filter(|_| !self.crashed);
        self.inner.idle.lock().unwrap_or_else(PoisonError::into_inner).push_back(conn);
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::time::Duration;

    use sqlx::Connection as _;
    use tokio::time::timeout;

    use super::*;

    /// `count` connections, each to an in-memory database of its own.
    async fn open(count: usize) -> Connections {
        Connections::open(&SqliteConnectOptions::from_str("sqlite::memory:").unwrap(), count).await.unwrap()
    }

    async fn rows(conn: &mut SqliteConnection) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(conn).await.unwrap()
    }

    /// A request cancelled in the middle of a write transaction leaves nothing behind: the
    /// next user of the connection sees none of it and can start its own.
    #[tokio::test]
    async fn a_cancelled_transaction_is_rolled_back_before_the_next_user() {
        let conns = open(1).await;
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&mut *conns.get().await.unwrap()).await.unwrap();
        let cancelled = timeout(Duration::from_millis(50), async {
            let mut conn = conns.get().await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *tx).await.unwrap();
            std::future::pending::<()>().await;
        })
        .await;
        assert!(cancelled.is_err(), "the transaction was to be cut short");
        let mut conn = conns.get().await.unwrap();
        assert_eq!(rows(&mut conn).await, 0, "the cancelled insert is rolled back");
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(rows(&mut conn).await, 1);
    }

    /// A query whose caller gave up while its rows were still coming does not hand them to
    /// the next user of the connection.
    #[tokio::test]
    async fn a_cancelled_query_leaves_no_rows_for_the_next_user() {
        let conns = open(1).await;
        let cancelled = timeout(Duration::from_millis(5), async {
            let mut conn = conns.get().await.unwrap();
            sqlx::query_scalar::<_, i64>(
                "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000000) SELECT n FROM c",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap()
        })
        .await;
        assert!(cancelled.is_err(), "the query was to be cut short");
        let mut conn = conns.get().await.unwrap();
        let answer: Vec<i64> = sqlx::query_scalar("SELECT 42").fetch_all(&mut *conn).await.unwrap();
        assert_eq!(answer, [42]);
    }

    /// A connection is lent to one user at a time; a user waits until one comes back.
    #[tokio::test]
    async fn each_connection_is_lent_once_at_a_time() {
        let conns = open(2).await;
        let first = conns.get().await.unwrap();
        let second = conns.get().await.unwrap();
        assert!(timeout(Duration::from_millis(20), conns.get()).await.is_err(), "a third was lent");
        drop(first);
        let third = timeout(Duration::from_secs(5), conns.get()).await.expect("the returned one is lent").unwrap();
        drop((second, third));
        assert_eq!(conns.0.idle.lock().unwrap().len(), 2, "both are back");
    }

    /// Whether `conn` has the temporary table `mark` (temporary tables are the connection's).
    async fn marked(conn: &mut SqliteConnection) -> bool {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sqlite_temp_master WHERE name = 'mark')")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    /// A connection whose thread has stopped is opened anew before it is lent again.
    #[tokio::test]
    async fn a_crashed_connection_is_opened_anew() {
        let conns = open(1).await;
        let mut conn = conns.get().await.unwrap();
        sqlx::query("CREATE TEMP TABLE mark (x)").execute(&mut *conn).await.unwrap();
        // What a user sees when the connection's thread has stopped.
        assert!(conn.check::<()>(Err(sqlx::Error::WorkerCrashed)).is_err());
        drop(conn);
        let mut conn = conns.get().await.unwrap();
        assert!(!marked(&mut conn).await, "a new connection, without the old one's temporary table");
        // Other errors leave the connection as it is.
        sqlx::query("CREATE TEMP TABLE mark (x)").execute(&mut *conn).await.unwrap();
        assert!(conn.check::<()>(Err(sqlx::Error::RowNotFound)).is_err());
        drop(conn);
        let mut conn = conns.get().await.unwrap();
        assert!(marked(&mut conn).await, "the same connection");
    }
}
