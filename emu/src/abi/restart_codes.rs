//! The kernel-internal results by which an interrupted system call asks to be restarted
//! (`include/linux/errno.h`). A handler never sees them: on the way back to the guest
//! each becomes EINTR or a restart, by Linux's rules ([`Restart::resolve`]).

/// Restart if the handler has SA_RESTART (or if no handler runs), else EINTR.
pub(crate) const ERESTARTSYS: i64 = -512;
/// Always restart.
pub(crate) const ERESTARTNOINTR: i64 = -513;
/// Restart only if no handler runs, else EINTR.
pub(crate) const ERESTARTNOHAND: i64 = -514;
/// EINTR if a handler runs, else continue through restart_syscall (the call's
/// remaining work was saved in the thread's restart block).
pub(crate) const ERESTART_RESTARTBLOCK: i64 = -516;
/// EINTR, as the guest sees it.
const EINTR: i64 = -4;

/// What becomes of an interrupted system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restart {
    /// Return this value (EINTR).
    Fail(i64),
    /// Run the same call again with its original arguments.
    Again,
    /// Run restart_syscall, which continues from the thread's restart block.
    Block,
}

impl Restart {
    /// For a call that returned `ret`: what happens when a handler with SA_RESTART
    /// (`sa_restart`) is entered, or when no handler runs (`handler` None). None if `ret`
    /// is not a restart request.
    pub(crate) fn resolve(ret: i64, handler: Option<bool>) -> Option<Restart> {
        let wants_restart = matches!(
            ret,
            ERESTARTSYS | ERESTARTNOINTR | ERESTARTNOHAND | ERESTART_RESTARTBLOCK
        );
        if !wants_restart {
            return None;
        }
        Some(match (ret, handler) {
            (ERESTART_RESTARTBLOCK, None) => Restart::Block,
            (_, None) | (ERESTARTNOINTR, _) | (ERESTARTSYS, Some(true)) => Restart::Again,
            _ => Restart::Fail(EINTR),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_restart_rules() {
        let r = Restart::resolve;
        assert_eq!(r(-4, Some(true)), None);
        assert_eq!(r(ERESTARTSYS, Some(true)), Some(Restart::Again));
        assert_eq!(r(ERESTARTSYS, Some(false)), Some(Restart::Fail(EINTR)));
        assert_eq!(r(ERESTARTSYS, None), Some(Restart::Again));
        assert_eq!(r(ERESTARTNOINTR, Some(false)), Some(Restart::Again));
        assert_eq!(r(ERESTARTNOHAND, Some(true)), Some(Restart::Fail(EINTR)));
        assert_eq!(r(ERESTARTNOHAND, None), Some(Restart::Again));
        assert_eq!(
            r(ERESTART_RESTARTBLOCK, Some(true)),
            Some(Restart::Fail(EINTR))
        );
        assert_eq!(r(ERESTART_RESTARTBLOCK, None), Some(Restart::Block));
    }
}
