//! What a timer's expiry does to its process: SIGALRM for setitimer(ITIMER_REAL), the
//! POSIX timer's signal to the process or its thread, a timerfd's count.

use super::process::Process;
use super::timer_fds;
use super::timers::{TimerKey, TimerSink};
use crate::abi::siginfo::{code, SigInfo};

/// SIGALRM, which ITIMER_REAL sends.
const SIGALRM: i32 = 14;

impl TimerSink for Process {
    fn expired(&self, key: TimerKey, overruns: u64) {
        match key {
            // Linux sends it as the kernel (SEND_SIG_PRIV).
            TimerKey::RealItimer => {
                self.signal_process(SigInfo::sent(SIGALRM, code::SI_KERNEL, 0, 0));
            }
            TimerKey::Posix(id) => {
                let queued = match self.posix_timers.expired(id, overruns) {
                    None => return,
                    Some((info, None)) => self.signal_process(info),
                    // A SIGEV_THREAD_ID target that has ended takes nothing.
                    Some((info, Some(tid))) => self.signal_thread(tid, info).unwrap_or(false),
                };
                if !queued {
                    // No signal of the timer's waits to be taken: the next expiry sends.
                    self.posix_timers.taken(id);
                }
            }
            TimerKey::Fd(id) => {
                if !timer_fds::tick(&self.timer_fds, id, 1 + overruns) {
                    self.timers.remove(key);
                }
            }
        }
    }
}
