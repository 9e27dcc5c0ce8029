//! Rate-limit counters (`rate_limits`), counted many requests at a time.
//!
//! Every request is counted in the database before it is handled, so that several server
//! instances share the counts. One write a request would queue every request of a busy server
//! on the single writer, so a task of its own counts them together: requests that arrive while
//! it writes wait for the next write, and that write adds all of them in one statement (per
//! bucket, their number; a bucket with several windows in one batch takes one statement per
//! window, in order). Each request still gets its own count, exactly as if they had been
//! counted one by one in that order, and no request goes on before it has been counted.

use sqlx::Row;

use super::connections::Connections;
use super::write_thread::WriteThread;
use tokio::sync::{mpsc, oneshot};

use crate::error::AppError;

/// Most requests counted in one write.
const MAX_BATCH: usize = 512;
/// Buckets whose window started longer ago than this are deleted: far older than any window
/// still counting (a minute), so a deleted bucket is one that would start from zero anyway.
const PURGE_AFTER_SECS: i64 = 3600;

/// A request waiting to be counted.
#[derive(Debug)]
pub(crate) struct Pending {
    bucket: String,
    window_start: i64,
    reply: oneshot::Sender<Result<i64, String>>,
}

/// Where requests are sent to be counted.
#[derive(Debug, Clone)]
pub(crate) struct Counter(mpsc::UnboundedSender<Pending>);

impl Counter {
    /// Starts the counting task on the write thread; it writes through `writer` and ends when
    /// the last [`Counter`] is dropped.
    pub(crate) fn start(writer: Connections, on: &WriteThread) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Pending>();
        on.spawn(async move {
            let mut batch = Vec::new();
            let mut purged_before = i64::MIN;
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let newest = batch.iter().map(|p| p.window_start).max().unwrap_or(i64::MIN);
                count(&writer, std::mem::take(&mut batch)).await;
                // Once per new window: forget buckets not used for an hour, so made-up
                // session values (each a bucket of its own) cannot grow the table for ever.
                let cutoff = newest.saturating_sub(PURGE_AFTER_SECS);
                if cutoff > purged_before {
                    purged_before = cutoff;
                    let purged = match writer.get().await {
                        Ok(mut conn) => {
                            let purged = sqlx::query("DELETE FROM rate_limits WHERE window_start < ?")
                                .bind(cutoff)
                                .execute(&mut *conn)
                                .await;
                            conn.check(purged).map(drop)
                        }
                        Err(e) => Err(e),
                    };
                    if let Err(e) = purged {
                        tracing::warn!("could not purge old rate-limit windows: {e}");
                    }
                }
            }
        });
        Self(tx)
    }

    /// Counts a request in `bucket` for the window starting at `window_start`; the count so
    /// far in that window, this request included.
    pub(crate) async fn count(&self, bucket: &str, window_start: i64) -> Result<i64, AppError> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Pending { bucket: bucket.to_owned(), window_start, reply })
            .map_err(|_| AppError::Internal("the request counter stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal("the request counter stopped".into()))?
            .map_err(|e| AppError::Internal(format!("database: {e}")))
    }
}

/// One bucket and window of a batch, with its requests in arrival order.
struct Group {
    bucket: String,
    window_start: i64,
    replies: Vec<oneshot::Sender<Result<i64, String>>>,
}

/// Counts a batch and answers each of its requests.
async fn count(writer: &Connections, batch: Vec<Pending>) {
    // Group by bucket and window, in order of first arrival; a bucket seen again with another
    // window goes into a later round, so each statement touches a bucket once.
    let mut rounds: Vec<Vec<Group>> = Vec::new();
    for p in batch {
        let fits = |round: &Vec<Group>| round.iter().all(|g| g.bucket != p.bucket || g.window_start == p.window_start);
        let round = match rounds.iter().position(fits) {
            Some(i) => &mut rounds[i],
            None => {
                rounds.push(Vec::new());
                let last = rounds.len() - 1;
                &mut rounds[last]
            }
        };
        match round.iter_mut().find(|g| g.bucket == p.bucket) {
            Some(group) => group.replies.push(p.reply),
            None => round.push(Group { bucket: p.bucket, window_start: p.window_start, replies: vec![p.reply] }),
        }
    }
    for round in rounds {
        match add(writer, &round).await {
            Ok(totals) => {
                for (group, total) in round.into_iter().zip(totals) {
                    let n = i64::try_from(group.replies.len()).unwrap_or(i64::MAX);
                    for (i, reply) in (0..).zip(group.replies) {
                        // Counted one by one, the i-th of n would have seen this.
                        let _ = reply.send(Ok(total - n + 1 + i));
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                for reply in round.into_iter().flat_map(|g| g.replies) {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
    }
}

/// Adds each group's requests to its bucket in one statement; each group's new count, in
/// order.
async fn add(writer: &Connections, round: &[Group]) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<serde_json::Value> =
        round.iter().map(|g| serde_json::json!([g.bucket, g.window_start, g.replies.len()])).collect();
    let rows = serde_json::Value::Array(rows).to_string();
    let mut conn = writer.get().await?;
    // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not a join.
    let counted = sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, count) \
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true \
         ON CONFLICT (bucket) DO UPDATE SET \
           count = CASE WHEN rate_limits.window_start = excluded.window_start \
                   THEN rate_limits.count + excluded.count ELSE excluded.count END, \
           window_start = excluded.window_start \
         RETURNING bucket, count",
    )
    .bind(rows)
    .fetch_all(&mut *conn)
    .await;
    let counted = conn.check(counted)?;
    round
        .iter()
        .map(|g| {
            counted
                .iter()
                .find(|r| r.try_get::<&str, _>("bucket").is_ok_and(|b| b == g.bucket))
                .ok_or_else(|| sqlx::Error::Protocol(format!("no count returned for bucket {}", g.bucket)))
                .and_then(|r| r.try_get::<i64, _>("count"))
        })
        .collect()
}
