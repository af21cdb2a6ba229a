//! A set of tasks that run while this replica holds a lease, and stop together.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::warn;

/// The longest wait for in-flight work at stop; then the tasks are aborted, so a replica that
/// lost its lease never keeps working beside the new leader.
const DRAIN: Duration = Duration::from_secs(20);

/// Running tasks and the switch that stops them.
pub struct Duty {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Duty {
    /// A duty whose tasks watch the returned receiver and stop when it turns true.
    pub fn new() -> (Duty, watch::Receiver<bool>) {
        let (stop, stopped) = watch::channel(false);
        (
            Duty {
                stop,
                tasks: Vec::new(),
            },
            stopped,
        )
    }

    /// Adds a task.
    pub fn spawn(&mut self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.push(tokio::spawn(task));
    }

    /// Stops every task: in-flight work finishes within `DRAIN`, the rest is aborted.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        let aborts: Vec<_> = self.tasks.iter().map(JoinHandle::abort_handle).collect();
        if tokio::time::timeout(DRAIN, futures::future::join_all(self.tasks))
            .await
            .is_err()
        {
            warn!("work did not stop in time; aborting it");
            aborts.iter().for_each(|a| a.abort());
        }
    }
}
