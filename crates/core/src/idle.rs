//! The idle-timeout state machine behind the SDK's `IdleTimer`: no DOM, no clock of its own.
//!
//! The host feeds it events stamped with wall-clock milliseconds (`Date.now()`): local
//! activity, timer ticks, the page becoming visible again, and activity or logout messages
//! from other tabs. It answers with what to do: warn, extend (the warning is over), or time
//! out. The deadline is a wall-clock time, so a laptop that slept or a tab the browser froze
//! times out on the first event after it wakes, and activity arriving after the deadline
//! cannot bring the session back.

/// HIPAA guidance in this project's research: 15 minutes of inactivity.
pub const DEFAULT_TIMEOUT_MS: u64 = 15 * 60 * 1000;
/// The warning comes 2 minutes before the timeout.
pub const DEFAULT_WARN_BEFORE_MS: u64 = 2 * 60 * 1000;

/// Timing of the idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleConfig {
    timeout_ms: u64,
    warn_before_ms: u64,
}

/// The configuration is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the timeout must be positive and the warning must come before it")]
pub struct InvalidIdleConfig;

impl IdleConfig {
    /// A timeout after `timeout_ms` of inactivity, warned `warn_before_ms` ahead
    /// (0 for no warning).
    ///
    /// # Errors
    /// [`InvalidIdleConfig`] if `timeout_ms` is 0 or the warning is not shorter than it.
    pub fn new(timeout_ms: u64, warn_before_ms: u64) -> Result<Self, InvalidIdleConfig> {
        if timeout_ms == 0 || warn_before_ms >= timeout_ms {
            return Err(InvalidIdleConfig);
        }
        Ok(Self { timeout_ms, warn_before_ms })
    }

    /// Milliseconds of inactivity before the timeout.
    #[must_use]
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// Milliseconds before the timeout at which the warning comes.
    #[must_use]
    pub fn warn_before_ms(&self) -> u64 {
        self.warn_before_ms
    }
}

impl Default for IdleConfig {
    /// 15 minutes, warned 2 minutes before.
    fn default() -> Self {
        Self { timeout_ms: DEFAULT_TIMEOUT_MS, warn_before_ms: DEFAULT_WARN_BEFORE_MS }
    }
}

/// What happened, with the wall-clock time in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdleEvent {
    /// The user did something in this tab (pointer, key, wheel, touch, focus), or chose
    /// "stay signed in".
    Activity {
        /// When.
        at_ms: u64,
    },
    /// A timer fired. Timers are late after sleep or in a frozen tab; the machine only ever
    /// compares wall-clock times, so lateness is harmless.
    Tick {
        /// Now.
        now_ms: u64,
    },
    /// The page became visible again (or was restored from the back/forward cache). Not
    /// activity: it only re-checks the deadline, which is how a wake from sleep times out.
    Visible {
        /// Now.
        now_ms: u64,
    },
    /// Another tab of the same session reported activity at `at_ms`.
    RemoteActivity {
        /// When the other tab saw the activity.
        at_ms: u64,
        /// Now, in this tab.
        now_ms: u64,
    },
    /// Another tab signed out or timed out.
    RemoteLogout {
        /// Now.
        now_ms: u64,
    },
}

/// Why the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutReason {
    /// No activity until the deadline.
    Idle,
    /// Another tab signed out or timed out.
    RemoteLogout,
}

/// What the host should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdleOutput {
    /// Show the warning: the session ends at `deadline_ms` unless there is activity.
    Warn {
        /// The wall-clock deadline.
        deadline_ms: u64,
        /// Milliseconds left, for the countdown.
        remaining_ms: u64,
    },
    /// The warning is over: activity here or in another tab moved the deadline.
    Extend {
        /// The new deadline.
        deadline_ms: u64,
    },
    /// End the session now: zeroize keys, clear PHI, end the server session.
    TimeOut {
        /// Why.
        reason: TimeoutReason,
    },
}

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdleState {
    /// Before the warning.
    Active,
    /// The warning is showing.
    Warning,
    /// Ended; every further event is ignored.
    TimedOut,
}

/// The idle-timeout state machine.
#[derive(Debug, Clone)]
pub struct IdleMachine {
    config: IdleConfig,
    deadline_ms: u64,
    state: IdleState,
}

impl IdleMachine {
    /// Starts a session at `now_ms`.
    #[must_use]
    pub fn new(config: IdleConfig, now_ms: u64) -> Self {
        Self { config, deadline_ms: now_ms.saturating_add(config.timeout_ms), state: IdleState::Active }
    }

    /// The current state.
    #[must_use]
    pub fn state(&self) -> IdleState {
        self.state
    }

    /// The wall-clock deadline in milliseconds.
    #[must_use]
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// When the host should send the next [`IdleEvent::Tick`]: the warning time while
    /// active, the deadline while warning, never once timed out.
    #[must_use]
    pub fn next_check_ms(&self) -> Option<u64> {
        match self.state {
            IdleState::Active => Some(self.warn_at()),
            IdleState::Warning => Some(self.deadline_ms),
            IdleState::TimedOut => None,
        }
    }

    fn warn_at(&self) -> u64 {
        self.deadline_ms.saturating_sub(self.config.warn_before_ms)
    }

    /// Feeds one event; returns what to do, if anything.
    pub fn handle(&mut self, event: IdleEvent) -> Option<IdleOutput> {
        if self.state == IdleState::TimedOut {
            return None;
        }
        let now = match event {
            IdleEvent::Activity { at_ms } => at_ms,
            IdleEvent::Tick { now_ms } | IdleEvent::Visible { now_ms } | IdleEvent::RemoteLogout { now_ms } => now_ms,
            IdleEvent::RemoteActivity { now_ms, .. } => now_ms,
        };
        // The deadline is checked before anything can extend it: activity that arrives
        // after the deadline (a wake from sleep) does not revive the session. It comes first
        // for another tab's logout too: tabs that share activity share the deadline, and the
        // first to reach it tells the others, which by then are past it themselves and time
        // out for the same reason, not because of that tab.
        if now >= self.deadline_ms {
            return Some(self.time_out(TimeoutReason::Idle));
        }
        if let IdleEvent::RemoteLogout { .. } = event {
            return Some(self.time_out(TimeoutReason::RemoteLogout));
        }
        let activity_at = match event {
            IdleEvent::Activity { at_ms } => Some(at_ms),
            // Another tab's clock: never trust it beyond this tab's own now.
            IdleEvent::RemoteActivity { at_ms, now_ms } => Some(at_ms.min(now_ms)),
            _ => None,
        };
        if let Some(at) = activity_at {
            let deadline = at.saturating_add(self.config.timeout_ms);
            if deadline > self.deadline_ms {
                self.deadline_ms = deadline;
            }
            if self.state == IdleState::Warning && now < self.warn_at() {
                self.state = IdleState::Active;
                return Some(IdleOutput::Extend { deadline_ms: self.deadline_ms });
            }
        }
        if self.state == IdleState::Active && now >= self.warn_at() {
            self.state = IdleState::Warning;
            return Some(IdleOutput::Warn { deadline_ms: self.deadline_ms, remaining_ms: self.deadline_ms - now });
        }
        None
    }

    fn time_out(&mut self, reason: TimeoutReason) -> IdleOutput {
        self.state = IdleState::TimedOut;
        IdleOutput::TimeOut { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const MIN: u64 = 60_000;
    const T0: u64 = 1_700_000_000_000;

    use IdleEvent::*;
    use IdleOutput::*;

    /// Each row: an event and the output expected from it, in order, from a session started
    /// at T0 with the default 15-minute timeout and 2-minute warning.
    fn run(table: &[(IdleEvent, Option<IdleOutput>)]) -> IdleMachine {
        let mut m = IdleMachine::new(IdleConfig::default(), T0);
        for (i, (event, expected)) in table.iter().enumerate() {
            assert_eq!(m.handle(*event), *expected, "row {i}: {event:?}");
        }
        m
    }

    #[test]
    fn quiet_session_warns_then_times_out() {
        let m = run(&[
            (Tick { now_ms: T0 + MIN }, None),
            (Tick { now_ms: T0 + 13 * MIN - 1 }, None),
            (Tick { now_ms: T0 + 13 * MIN }, Some(Warn { deadline_ms: T0 + 15 * MIN, remaining_ms: 2 * MIN })),
            (Tick { now_ms: T0 + 14 * MIN }, None),
            (Tick { now_ms: T0 + 15 * MIN }, Some(TimeOut { reason: TimeoutReason::Idle })),
            (Activity { at_ms: T0 + 15 * MIN + 1 }, None),
        ]);
        assert_eq!(m.state(), IdleState::TimedOut);
        assert_eq!(m.next_check_ms(), None);
    }

    #[test]
    fn activity_pushes_the_deadline() {
        let m = run(&[
            (Activity { at_ms: T0 + 10 * MIN }, None),
            (Tick { now_ms: T0 + 15 * MIN }, None),
            (Tick { now_ms: T0 + 23 * MIN }, Some(Warn { deadline_ms: T0 + 25 * MIN, remaining_ms: 2 * MIN })),
        ]);
        assert_eq!(m.deadline_ms(), T0 + 25 * MIN);
        assert_eq!(m.next_check_ms(), Some(T0 + 25 * MIN));
    }

    #[test]
    fn warning_followed_by_activity_extends() {
        let m = run(&[
            (Tick { now_ms: T0 + 13 * MIN }, Some(Warn { deadline_ms: T0 + 15 * MIN, remaining_ms: 2 * MIN })),
            (Activity { at_ms: T0 + 14 * MIN }, Some(Extend { deadline_ms: T0 + 29 * MIN })),
            (Tick { now_ms: T0 + 15 * MIN }, None),
            (Tick { now_ms: T0 + 27 * MIN }, Some(Warn { deadline_ms: T0 + 29 * MIN, remaining_ms: 2 * MIN })),
        ]);
        assert_eq!(m.state(), IdleState::Warning);
    }

    #[test]
    fn sleeping_for_hours_times_out_on_wake_even_with_activity() {
        // The laptop sleeps at T0 + 5 min with no timer firing; on wake the first thing the
        // page sees is a pointer event hours later.
        run(&[
            (Activity { at_ms: T0 + 5 * MIN }, None),
            (Activity { at_ms: T0 + 5 * 60 * MIN }, Some(TimeOut { reason: TimeoutReason::Idle })),
        ]);
        // Or the visibility change comes first.
        run(&[(Visible { now_ms: T0 + 3 * 60 * MIN }, Some(TimeOut { reason: TimeoutReason::Idle }))]);
    }

    #[test]
    fn frozen_tab_with_late_tick_skips_straight_to_timeout() {
        // No tick ran during the warning window: the late tick must not merely warn.
        run(&[(Tick { now_ms: T0 + 40 * MIN }, Some(TimeOut { reason: TimeoutReason::Idle }))]);
    }

    #[test]
    fn visible_is_not_activity() {
        let m = run(&[(Visible { now_ms: T0 + 10 * MIN }, None)]);
        assert_eq!(m.deadline_ms(), T0 + 15 * MIN);
        run(&[(Visible { now_ms: T0 + 14 * MIN }, Some(Warn { deadline_ms: T0 + 15 * MIN, remaining_ms: MIN }))]);
    }

    #[test]
    fn other_tabs_activity_and_logout() {
        run(&[
            (Tick { now_ms: T0 + 13 * MIN }, Some(Warn { deadline_ms: T0 + 15 * MIN, remaining_ms: 2 * MIN })),
            (
                RemoteActivity { at_ms: T0 + 13 * MIN + 30_000, now_ms: T0 + 13 * MIN + 31_000 },
                Some(Extend { deadline_ms: T0 + 28 * MIN + 30_000 }),
            ),
            (RemoteLogout { now_ms: T0 + 14 * MIN }, Some(TimeOut { reason: TimeoutReason::RemoteLogout })),
            (Activity { at_ms: T0 + 14 * MIN }, None),
        ]);
        // Another tab's logout that arrives after this tab's own deadline: this tab was idle
        // too (the tabs shared the deadline, and the other reached it first).
        run(&[(RemoteLogout { now_ms: T0 + 15 * MIN + 20 }, Some(TimeOut { reason: TimeoutReason::Idle }))]);
        run(&[(RemoteLogout { now_ms: T0 + 15 * MIN - 1 }, Some(TimeOut { reason: TimeoutReason::RemoteLogout }))]);
        // A remote clock running ahead cannot push the deadline past this tab's now + timeout.
        let m = run(&[(RemoteActivity { at_ms: T0 + 600 * MIN, now_ms: T0 + MIN }, None)]);
        assert_eq!(m.deadline_ms(), T0 + 16 * MIN);
        // Stale activity from another tab does not shorten the deadline.
        let m = run(&[
            (Activity { at_ms: T0 + 5 * MIN }, None),
            (RemoteActivity { at_ms: T0, now_ms: T0 + 6 * MIN }, None),
        ]);
        assert_eq!(m.deadline_ms(), T0 + 20 * MIN);
    }

    #[test]
    fn activity_during_a_long_warning_extends() {
        // With a 5-minute warning on a 10-minute timeout, activity during the warning
        // ends it with a new deadline a full timeout away.
        let mut m = IdleMachine::new(IdleConfig::new(10 * MIN, 5 * MIN).unwrap(), T0);
        assert_eq!(
            m.handle(Tick { now_ms: T0 + 6 * MIN }),
            Some(Warn { deadline_ms: T0 + 10 * MIN, remaining_ms: 4 * MIN })
        );
        assert_eq!(m.handle(Activity { at_ms: T0 + 6 * MIN }), Some(Extend { deadline_ms: T0 + 16 * MIN }));
    }

    #[test]
    fn config_validation() {
        assert!(IdleConfig::new(0, 0).is_err());
        assert!(IdleConfig::new(MIN, MIN).is_err());
        assert!(IdleConfig::new(MIN, 0).is_ok());
        let c = IdleConfig::default();
        assert_eq!((c.timeout_ms(), c.warn_before_ms()), (15 * MIN, 2 * MIN));
        // Saturating arithmetic at the end of time.
        let mut m = IdleMachine::new(c, u64::MAX - 1);
        assert_eq!(m.deadline_ms(), u64::MAX);
        assert_eq!(m.handle(Tick { now_ms: u64::MAX }), Some(TimeOut { reason: TimeoutReason::Idle }));
    }
}
