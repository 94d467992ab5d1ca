//! CPU time of this process: user + system time of every thread, alive or finished, with
//! nanosecond resolution (`CLOCK_PROCESS_CPUTIME_ID`).
//!
//! `/proc/self/stat` would also do, but it counts in scheduler ticks (10 ms here), far coarser
//! than one model turn. Does not know what runs in the process; callers subtract baselines.

use std::time::Duration;

use rustix::time::{clock_gettime, ClockId};

/// CPU time consumed by the whole process so far.
pub fn process_cpu() -> Duration {
    let now = clock_gettime(ClockId::ProcessCPUTime);
    let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(now.tv_nsec).unwrap_or(0);
    Duration::new(seconds, nanos)
}

/// CPU time and wall time spent in one stretch of work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spent {
    pub cpu: Duration,
    pub wall: Duration,
}

/// A started measurement; [`Stopwatch::stop`] reads both clocks again.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    cpu: Duration,
    wall: std::time::Instant,
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch {
            cpu: process_cpu(),
            wall: std::time::Instant::now(),
        }
    }

    pub fn stop(self) -> Spent {
        Spent {
            cpu: process_cpu().saturating_sub(self.cpu),
            wall: self.wall.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_work_shows_up_as_cpu_time() {
        let watch = Stopwatch::start();
        let mut total: u64 = 0;
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_millis(30) {
            total = total.wrapping_add(std::hint::black_box(1));
        }
        let spent = watch.stop();
        assert!(total > 0);
        assert!(spent.cpu >= Duration::from_millis(10), "{spent:?}");
        assert!(spent.wall >= Duration::from_millis(30), "{spent:?}");
    }
}
